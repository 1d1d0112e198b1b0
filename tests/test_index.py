"""Index persistence, reuse, invalidation and crash safety, with a deterministic embedder on
synthetic videos whose answers are known."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import numpy as np
import pytest

import videoscout
from videoscout.errors import CacheError
from videoscout.retrieval import FrameIndex, IndexCache, fingerprint, store
from videoscout.video import FrameBatch, Sampling

from fakes import ColourEmbedder
from synthetic import colour_segments

UNIFORM = Sampling(mode="uniform", fps=2.0)


def entries(cache_dir: Path) -> list[Path]:
    return sorted(p.parent for p in cache_dir.glob("index/*/*/manifest.json"))


def open_rgb(path, cache_dir, model="fake:colour", **kw):
    return videoscout.open_video(path, model=model, cache_dir=cache_dir, **kw)


def test_index_is_saved_with_a_manifest_and_true_times(rgb_video, cache_dir, colour_model):
    result = open_rgb(rgb_video, cache_dir, sampling=UNIFORM).index()
    assert not result.reused
    assert entries(cache_dir) == [result.folder]
    manifest = result.index.manifest
    assert manifest["model"]["spec"] == "fake:colour"
    assert manifest["sampling"] == {"mode": "uniform", "fps": 2.0}
    assert manifest["video"]["fingerprint"] == fingerprint(rgb_video)
    # 12 s at 2 fps: frames shown at 0, 0.5, ... 11.5 (written at 10 fps).
    assert np.allclose(result.index.times, np.arange(24) * 0.5, atol=1e-3)
    assert np.allclose(result.index.ends[:-1], result.index.times[1:])
    assert result.index.ends[-1] == pytest.approx(12.0, abs=0.11)


def test_same_video_again_reuses_the_index_without_decoding(
    rgb_video, cache_dir, colour_model, monkeypatch
):
    open_rgb(rgb_video, cache_dir).index()
    embedded = colour_model.images_embedded

    def no_decoding(*args, **kwargs):
        raise AssertionError("the video was decoded again")

    monkeypatch.setattr(store, "open_source", no_decoding)
    again = open_rgb(rgb_video, cache_dir).index()
    assert again.reused
    assert colour_model.images_embedded == embedded
    # A copy of the file elsewhere has the same content, so the same index.
    copy = cache_dir.parent / "copy-of-rgb.mp4"
    copy.write_bytes(rgb_video.read_bytes())
    assert open_rgb(copy, cache_dir).index().reused


def test_model_sampling_or_video_change_rebuilds(rgb_video, cache_dir, colour_model, tmp_path):
    open_rgb(rgb_video, cache_dir).index()
    assert not open_rgb(rgb_video, cache_dir, sampling=UNIFORM).index().reused
    videoscout.models.register("fake:colour-2", ColourEmbedder)
    try:
        assert not open_rgb(rgb_video, cache_dir, model="fake:colour-2").index().reused
    finally:
        videoscout.models.unregister("fake:colour-2")
    assert len(entries(cache_dir)) == 3
    # Same path, new content: a new fingerprint, so a new index.
    path = tmp_path / "changing.mp4"
    colour_segments(path, [("red", 2), ("green", 2)])
    first = open_rgb(path, cache_dir).index()
    colour_segments(path, [("red", 2), ("blue", 2)])
    second = open_rgb(path, cache_dir).index()
    assert not second.reused and second.folder != first.folder
    best = open_rgb(path, cache_dir).search("blue")[0]
    assert (best.start, best.end) == pytest.approx((2.0, 4.0), abs=0.11)


def test_force_rebuilds(rgb_video, cache_dir, colour_model):
    open_rgb(rgb_video, cache_dir).index()
    assert not open_rgb(rgb_video, cache_dir).index(force=True).reused
    assert len(entries(cache_dir)) == 1


class Interrupting:
    def __init__(self, inner, after: int):
        self.inner, self.after = inner, after
        self.spec, self.dim, self.image_size = "fake:colour", inner.dim, inner.image_size
        self.identity = inner.identity

    def embed_images(self, images):
        self.after -= 1
        if self.after < 0:
            raise KeyboardInterrupt
        return self.inner.embed_images(images)

    def embed_texts(self, texts):
        return self.inner.embed_texts(texts)


def test_interrupted_build_leaves_nothing_and_the_next_run_recovers(
    rgb_video, cache_dir, colour_model
):
    sampling = Sampling(mode="uniform", fps=10)  # 120 frames: several batches
    info = videoscout.open_video(rgb_video).info
    cache = IndexCache(cache_dir)
    with pytest.raises(KeyboardInterrupt):
        store.load_or_build(info, Interrupting(colour_model, after=1), sampling, cache)
    assert entries(cache_dir) == []
    assert not list(cache_dir.glob("index/*/.*tmp*"))
    result = store.load_or_build(info, colour_model, sampling, cache)
    assert not result.reused and len(result.index) == 120


def test_leftovers_of_a_killed_build_are_cleaned(rgb_video, cache_dir, colour_model):
    video = open_rgb(rgb_video, cache_dir)
    video.index()
    parent = entries(cache_dir)[0].parent
    # A build killed with SIGKILL leaves its staging folder; its process no longer exists.
    dead = parent / f".deadbeef.tmp-{2**22 + 12345}-xyz"
    dead.mkdir()
    (dead / "vectors.npy").write_bytes(b"half written")
    open_rgb(rgb_video, cache_dir).index(force=True)
    assert not dead.exists()


def test_a_corrupt_entry_is_rebuilt(rgb_video, cache_dir, colour_model, caplog):
    first = open_rgb(rgb_video, cache_dir).index()
    (first.folder / "vectors.npy").write_bytes(b"garbage")
    with caplog.at_level(logging.WARNING):
        again = open_rgb(rgb_video, cache_dir).index()
    assert not again.reused
    assert "rebuilding" in caplog.text
    assert open_rgb(rgb_video, cache_dir).index().reused


def test_unwritable_cache_fails_before_decoding(rgb_video, tmp_path, colour_model, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded before checking the cache")

    monkeypatch.setattr(store, "open_source", no_decoding)
    with pytest.raises(CacheError, match="not writable.*--cache-dir"):
        open_rgb(rgb_video, blocker / "cache").index()


def test_json_manifest_is_written_atomically(rgb_video, cache_dir, colour_model):
    folder = open_rgb(rgb_video, cache_dir).index().folder
    assert sorted(p.name for p in folder.iterdir()) == [
        "frames.npz",
        "manifest.json",
        "vectors.npy",
    ]
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]


def test_saved_index_round_trips(tmp_path):
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(50, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    times = np.arange(50, dtype=np.float64)
    for limit in (1000, 10):  # exact, then HNSW
        index = FrameIndex(vectors, times, times + 1, np.arange(50), {"x": 1}, exact_limit=limit)
        folder = tmp_path / str(limit)
        folder.mkdir()
        index.save(folder)
        loaded = FrameIndex.load(folder)
        assert (folder / "vectors.faiss").exists() == (limit == 10)
        scores, ids = loaded.scores(vectors[7], k=3)
        assert ids[0] == 7 and scores[0] == pytest.approx(1.0, abs=1e-5)
        assert loaded.manifest == {"x": 1}


def test_fingerprint_reads_a_bounded_amount(tmp_path):
    big = tmp_path / "big.bin"
    with big.open("wb") as handle:
        handle.truncate(200 * 2**20)
    before = fingerprint(big)
    with big.open("r+b") as handle:  # change one byte inside a sampled chunk
        handle.seek(0)
        handle.write(b"x")
    assert fingerprint(big) != before
    os.truncate(big, 200 * 2**20 - 1)
    assert fingerprint(big) not in (before,)


class _PacedSource:
    """A frame source that takes ``seconds`` to decode each batch of blank frames."""

    def __init__(self, frames: int, seconds: float) -> None:
        self.timestamps = np.arange(frames, dtype=np.float64)
        self.seconds = seconds

    def iter_frames(self, indices, batch_size):
        for start in range(0, len(indices), batch_size):
            chunk = np.asarray(indices[start : start + batch_size])
            time.sleep(self.seconds)
            images = np.zeros((len(chunk), 8, 8, 3), np.uint8)
            yield FrameBatch(chunk, self.timestamps[chunk], images)


class _ThreadSpy(ColourEmbedder):
    """Records torch's thread count at each batch, taking ``seconds`` per batch."""

    def __init__(self, seconds: float) -> None:
        super().__init__("fake:spy")
        self.seconds, self.threads = seconds, []

    def embed_images(self, images):
        import torch

        self.threads.append(torch.get_num_threads())
        time.sleep(self.seconds)
        return super().embed_images(images)


@pytest.mark.parametrize("slower", ["decoder", "encoder"])
def test_the_encoder_lends_a_core_to_a_decoder_that_is_behind(slower):
    torch = pytest.importorskip("torch")
    from videoscout.retrieval.build import embed_video

    cores = torch.get_num_threads()
    if cores < 2:
        pytest.skip("one CPU thread: nothing to lend")
    fast, slow = 0.01, 0.15
    source = _PacedSource(frames=40, seconds=slow if slower == "decoder" else fast)
    embedder = _ThreadSpy(seconds=fast if slower == "decoder" else slow)
    vectors, *_ = embed_video(source, embedder, Sampling(mode="uniform"), batch_size=4)
    assert len(vectors) == 40
    if slower == "decoder":  # the encoder always waits: it runs on one core fewer
        assert embedder.threads == [cores - 1] * 10
    else:  # once the queue is full, the encoder has every core
        assert embedder.threads[-5:] == [cores] * 5
    assert torch.get_num_threads() == cores  # given back after the build
