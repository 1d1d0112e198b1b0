"""The cache under damage: broken entries are found and rebuilt, a full disk is one clean error,
a changed video never reuses an index (a copied or renamed one does), and an unwritable cache is
reported before any frame is decoded or captioned."""

from __future__ import annotations

import errno
import io
import json
import logging
import os
import shutil
import subprocess
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import videoscout
from videoscout import describe
from videoscout.cli.main import cli
from videoscout.errors import CacheError
from videoscout.retrieval import IndexCache, fingerprint, sources, store
from videoscout.video import Sampling

from fakes import ColourEmbedder
from synthetic import colour_segments

UNIFORM = Sampling(mode="uniform", fps=2.0)
QUERIES = ("red", "green", "blue", "yellow")


def open_rgb(path, cache_dir, **options):
    options = {"model": "fake:colour", "captioner": "fake:colour", **options}
    return videoscout.open_video(path, cache_dir=cache_dir, **options)


def answers(video) -> dict:
    return {query: video.search(query, k=2) for query in QUERIES}


def warnings_in(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def no_decoding(*args, **kwargs):
    raise AssertionError("a frame was decoded")


# --- damaged entries --------------------------------------------------------------------------


def flip_vector_bytes(folder: Path) -> None:
    data = bytearray((folder / "vectors.npy").read_bytes())
    for i in range(200, 260):  # past the 128-byte header: the vectors themselves
        data[i] ^= 0x5A
    (folder / "vectors.npy").write_bytes(bytes(data))


def drop_vector_rows(folder: Path) -> None:
    vectors = np.load(folder / "vectors.npy")
    np.save(folder / "vectors.npy", vectors[:-5])  # a well-formed file, rows missing


def flip_frames_bytes(folder: Path) -> None:
    data = bytearray((folder / "frames.npz").read_bytes())
    middle = len(data) // 2
    for i in range(middle, middle + 40):
        data[i] ^= 0x5A
    (folder / "frames.npz").write_bytes(bytes(data))


def truncate_frames(folder: Path) -> None:
    path = folder / "frames.npz"
    os.truncate(path, path.stat().st_size // 2)


def empty_vectors(folder: Path) -> None:
    (folder / "vectors.npy").write_bytes(b"")


def edit_manifest(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["search"] = "hnsw"  # well-formed JSON that no longer matches its checksum
    (folder / "manifest.json").write_text(json.dumps(manifest))


DAMAGE = [
    flip_vector_bytes,
    drop_vector_rows,
    flip_frames_bytes,
    truncate_frames,
    empty_vectors,
    edit_manifest,
]


@pytest.mark.parametrize("damage", DAMAGE, ids=lambda f: f.__name__)
def test_a_damaged_entry_warns_once_and_is_rebuilt(
    damage, rgb_video, cache_dir, colour_model, caplog
):
    first = open_rgb(rgb_video, cache_dir, sampling=UNIFORM)
    clean, folder = answers(first), first.index().folder
    damage(folder)
    with caplog.at_level(logging.WARNING):
        again = open_rgb(rgb_video, cache_dir, sampling=UNIFORM)
        assert not again.index().reused
        assert answers(again) == clean
    said = warnings_in(caplog)
    assert len(said) == 1 and str(folder) in said[0] and "rebuilding" in said[0]
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        healed = open_rgb(rgb_video, cache_dir, sampling=UNIFORM)
        assert healed.index().reused and answers(healed) == clean
    assert warnings_in(caplog) == []


def test_the_cli_rebuilds_an_emptied_vectors_file(rgb_video, cache_dir, colour_model):
    args = ["search", str(rgb_video), "blue", "--model", "fake:colour"]
    clean = CliRunner().invoke(cli, args, catch_exceptions=False)
    (folder,) = [p.parent for p in cache_dir.glob("index/*/*/manifest.json")]
    empty_vectors(folder)
    again = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert again.exit_code == 0 and again.stdout == clean.stdout  # was "Aborted!"


def test_the_manifest_records_every_file(rgb_video, cache_dir, colour_model):
    result = open_rgb(rgb_video, cache_dir, sampling=UNIFORM).index()
    manifest = json.loads((result.folder / "manifest.json").read_text())
    assert set(manifest["files"]) == {"vectors.npy", "frames.npz"}
    for name, facts in manifest["files"].items():
        assert facts["bytes"] == (result.folder / name).stat().st_size
        assert len(facts["sha256"]) == 64
    assert manifest["arrays"]["vectors"] == {"shape": [24, 8], "dtype": "float32"}
    assert manifest["arrays"]["times"] == {"shape": [24], "dtype": "float64"}
    assert manifest == result.index.manifest  # what was built is what a later run checks


def test_an_entry_without_checksums_is_rebuilt_quietly(rgb_video, cache_dir, colour_model, caplog):
    first = open_rgb(rgb_video, cache_dir).index()
    path = first.folder / "manifest.json"
    manifest = json.loads(path.read_text())
    for added in ("files", "arrays", "checksum"):  # as videoscout 0.1 wrote it
        del manifest[added]
    path.write_text(json.dumps(manifest))
    with caplog.at_level(logging.INFO):
        assert not open_rgb(rgb_video, cache_dir).index().reused
    assert warnings_in(caplog) == [] and "without checksums" in caplog.text
    assert open_rgb(rgb_video, cache_dir).index().reused


def test_an_embedder_that_breaks_its_contract_saves_nothing(rgb_video, cache_dir):
    class Unnormalised(ColourEmbedder):
        def embed_images(self, images):
            return 3 * super().embed_images(images)

    videoscout.models.register("fake:loud", Unnormalised)
    try:
        with pytest.raises(ValueError, match="fake:loud.*not unit length"):
            open_rgb(rgb_video, cache_dir, model="fake:loud").index()
    finally:
        videoscout.models.unregister("fake:loud")
    assert files_under(cache_dir / "index") == []


# --- a full disk ------------------------------------------------------------------------------


def short_save(real):
    """numpy's ``np.save`` on a disk that fills half-way through the file."""

    def save(file, array, *args, **kwargs):
        buffer = io.BytesIO()
        real(buffer, array, *args, **kwargs)
        data = buffer.getvalue()
        Path(file).write_bytes(data[: len(data) // 2])
        raise OSError(f"{len(data)} requested and {len(data) // 2} written")

    return save


def full_savez(real):
    def savez(file, *args, **kwargs):
        Path(file).write_bytes(b"PK\x03\x04 half a zip")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    return savez


def full_fsync(real):
    """``fsync`` reporting ENOSPC for files of the index (as delayed allocation can)."""

    def fsync(fd):
        if "/index/" in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd)

    return fsync


@pytest.mark.parametrize(
    ("module", "name", "fake"),
    [(np, "save", short_save), (np, "savez", full_savez), (os, "fsync", full_fsync)],
    ids=["vectors", "frames", "manifest"],
)
def test_a_disk_full_mid_write_is_one_line_and_leaves_nothing(
    module, name, fake, rgb_video, cache_dir, colour_model, monkeypatch
):
    with monkeypatch.context() as patch:
        patch.setattr(module, name, fake(getattr(module, name)))
        with pytest.raises(CacheError) as caught:
            open_rgb(rgb_video, cache_dir, sampling=UNIFORM).index()
    message = str(caught.value)
    assert "\n" not in message and "no space left" in message
    assert str(cache_dir / "index") in message and "--cache-dir" in message
    assert files_under(cache_dir / "index") == []  # no entry, no temporary file
    again = open_rgb(rgb_video, cache_dir, sampling=UNIFORM)
    assert not again.index().reused
    assert open_rgb(rgb_video, cache_dir, sampling=UNIFORM).index().reused


def test_a_disk_full_while_saving_captions_keeps_the_saved_ones(
    rgb_video, cache_dir, colour_captioner, monkeypatch
):
    video = open_rgb(rgb_video, cache_dir)
    saved = video.caption(0, 3, every=1.0)
    (path,) = (cache_dir / "captions").rglob("*.json")
    before = path.read_bytes()

    def fsync(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(CacheError, match="cannot save captions.*no space left") as caught:
        video.caption(0, 6, every=1.0)
    assert "\n" not in str(caught.value)
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir() if p.name not in (path.name, ".lock")] == []
    monkeypatch.undo()
    assert open_rgb(rgb_video, cache_dir).caption(0, 3, every=1.0) == saved


@contextmanager
def mounted_tmpfs(folder: Path, size: str):
    """A real tmpfs of ``size`` at ``folder`` (root only; skipped where mounting is refused)."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    mount = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)]
    if subprocess.run(mount, capture_output=True).returncode != 0:
        pytest.skip("this machine refuses to mount a tmpfs")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


class WideEmbedder(ColourEmbedder):
    """The colour embedder padded to CLIP's 512 dimensions: an index the size of a real one."""

    def __init__(self, spec: str) -> None:
        super().__init__(spec)
        self.dim = 512

    def embed_images(self, images):
        narrow = super().embed_images(images)
        return np.pad(narrow, ((0, 0), (0, self.dim - narrow.shape[1])))

    def embed_texts(self, texts):
        narrow = super().embed_texts(texts)
        return np.pad(narrow, ((0, 0), (0, self.dim - narrow.shape[1])))


@pytest.mark.parametrize("search", ["exact", "approximate"])
def test_a_real_full_disk(search, rgb_video, tmp_path):
    """120 frames x 512 floats (245 KB) into a 64 KiB tmpfs: numpy's short write; with an
    approximate index, a tmpfs holding the vectors but not the FAISS file: FAISS's write error."""
    size = "64k" if search == "exact" else "400k"
    with mounted_tmpfs(tmp_path / "cache", size) as cache_dir:
        info = videoscout.open_video(rgb_video).info
        embedder, sampling = WideEmbedder("fake:wide"), Sampling(mode="uniform", fps=10)
        cache = IndexCache(cache_dir)
        limit = 10 if search == "approximate" else 1000
        with pytest.raises(CacheError, match="no space left") as caught:
            store.load_or_build(info, embedder, sampling, cache, exact_limit=limit)
        assert "\n" not in str(caught.value)
        assert files_under(cache_dir / "index") == []
        subprocess.run(["mount", "-o", "remount,size=2m", str(cache_dir)], check=True)
        built = store.load_or_build(info, embedder, sampling, cache, exact_limit=limit)
        assert not built.reused and len(built.index) == 120
        again = store.load_or_build(info, embedder, sampling, cache, exact_limit=limit)
        assert again.reused and np.array_equal(again.index.vectors, built.index.vectors)


# --- a changed, copied or renamed video -------------------------------------------------------


def raw_video(path: Path, segments) -> Path:
    """Uncompressed 640x480 frames at 2 fps: 14.7 MB, so the fingerprint samples it, and every
    frame's bytes sit at a fixed place, so a frame can be changed in place."""
    return colour_segments(
        path, segments, fps=2, size=(640, 480), codec="rawvideo", time_base=Fraction(1, 2)
    )


def test_an_edit_between_the_sampled_chunks_rebuilds(tmp_path, cache_dir, colour_model):
    video = raw_video(tmp_path / "talk.avi", [("red", 6), ("green", 10)])
    # The same video with the frame at 11 s blue: the only bytes that differ lie between two
    # of the 16 chunks the fingerprint reads.
    blue_at_11 = [("red", 6), ("green", 5), ("blue", 0.5), ("green", 4.5)]
    edited = raw_video(tmp_path / "edited.avi", blue_at_11)
    original = shutil.copyfile(video, tmp_path / "original.avi")
    first = open_rgb(video, cache_dir, sampling=UNIFORM)
    assert first.search("blue", k=1)[0].peak != 11.0
    before, stat = fingerprint(video), video.stat()

    old, new = np.fromfile(video, np.uint8), np.fromfile(edited, np.uint8)
    changed = np.flatnonzero(old != new)
    with video.open("r+b") as handle:
        handle.seek(int(changed[0]))
        handle.write(new[changed[0] : changed[-1] + 1].tobytes())
    os.utime(video, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert fingerprint(video) == before and video.stat().st_size == stat.st_size

    again = open_rgb(video, cache_dir, sampling=UNIFORM)
    assert not again.index().reused
    best = again.search("blue", k=1)[0]
    assert (best.start, best.end) == pytest.approx((11.0, 11.5))
    # The untouched copy keeps its own index: neither version evicts the other.
    kept = open_rgb(original, cache_dir, sampling=UNIFORM)
    assert kept.index().reused and kept.search("blue", k=1)[0].peak != 11.0
    assert open_rgb(video, cache_dir, sampling=UNIFORM).index().reused


def test_a_renamed_or_copied_video_reuses_its_index(
    rgb_video, tmp_path, cache_dir, colour_model, monkeypatch
):
    video = shutil.copyfile(rgb_video, tmp_path / "talk.mp4")
    open_rgb(video, cache_dir).index()
    hashed = []
    real_hash = sources.file_sha256
    monkeypatch.setattr(sources, "file_sha256", lambda path: hashed.append(path) or real_hash(path))
    monkeypatch.setattr(store, "open_source", no_decoding)

    renamed = video.rename(tmp_path / "renamed.mp4")
    assert open_rgb(renamed, cache_dir).index().reused
    assert hashed == []  # same size and mtime: nothing read but the fingerprint's chunks
    copy = shutil.copyfile(renamed, tmp_path / "copy.mp4")  # a new mtime
    assert open_rgb(copy, cache_dir).index().reused
    assert [p.name for p in hashed] == ["copy.mp4"]  # read whole once: the same content...
    assert open_rgb(copy, cache_dir).index().reused
    assert [p.name for p in hashed] == ["copy.mp4"]  # ...and remembered


def test_the_cache_key_sees_an_edit_the_fingerprint_misses(tmp_path, cache_dir):
    big = tmp_path / "big.bin"
    with big.open("wb") as handle:
        handle.truncate(64 * 2**20)
    cache = IndexCache(cache_dir)
    cheap, key = fingerprint(big), cache.fingerprint(big)
    assert key == cheap  # the first content seen keeps the plain fingerprint
    with big.open("r+b") as handle:  # between the 2nd and 3rd sampled chunks
        handle.seek(5 * 2**20)
        handle.write(b"x")
    stat = big.stat()
    os.utime(big, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert fingerprint(big) == cheap
    assert cache.fingerprint(big) not in (key, cheap)


# --- an unwritable cache, found before the work -----------------------------------------------


@pytest.fixture
def read_only(tmp_path):
    """Makes a folder read-only: a read-only bind mount for root (who ignores permission bits),
    permission bits for anyone else."""
    mounts: list[Path] = []

    def make(folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            for path in [folder, *folder.rglob("*")]:
                if path.is_dir():
                    path.chmod(0o555)
            return folder
        bind = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True)
        if bind.returncode != 0:
            pytest.skip("root cannot make a read-only folder here (mount refused)")
        mounts.append(folder)
        subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], check=True)
        return folder

    yield make
    for folder in reversed(mounts):
        subprocess.run(["umount", "-l", str(folder)], check=False)
    for path in tmp_path.rglob("*"):
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)


def unwritable(kind: str, tmp_path: Path, read_only) -> Path:
    if kind == "read-only":
        return read_only(tmp_path / "cache")
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where the cache folder should be")
    return blocker / "cache"


@pytest.mark.parametrize("kind", ["read-only", "a file in the way"])
def test_an_unwritable_cache_stops_indexing_before_decoding(
    kind, rgb_video, tmp_path, colour_model, monkeypatch, read_only
):
    cache_dir = unwritable(kind, tmp_path, read_only)
    monkeypatch.setattr(store, "open_source", no_decoding)
    with pytest.raises(CacheError) as caught:
        open_rgb(rgb_video, cache_dir).index()
    message = str(caught.value)
    assert "\n" not in message and str(cache_dir) in message and "not writable" in message
    assert "--cache-dir" in message and "VIDEOSCOUT_CACHE_DIR" in message
    assert colour_model.images_embedded == 0


@pytest.mark.parametrize("kind", ["read-only", "a file in the way"])
def test_an_unwritable_cache_stops_captioning_before_decoding(
    kind, rgb_video, tmp_path, colour_captioner, monkeypatch, read_only
):
    cache_dir = unwritable(kind, tmp_path, read_only)
    decoded = []
    real_open = describe.open_source

    @contextmanager
    def counting_source(*args, **kwargs):
        with real_open(*args, **kwargs) as source:
            real_get = source.get_frames
            source.get_frames = lambda indices: decoded.append(len(indices)) or real_get(indices)
            yield source

    monkeypatch.setattr(describe, "open_source", counting_source)
    with pytest.raises(CacheError) as caught:
        open_rgb(rgb_video, cache_dir).caption(0, 12, every=0.5)
    message = str(caught.value)
    assert "\n" not in message and "cannot save captions" in message and str(cache_dir) in message
    assert "--cache-dir" in message and "VIDEOSCOUT_CACHE_DIR" in message
    assert decoded == [] and colour_captioner.frames_captioned == 0


def test_a_read_only_cache_still_serves_what_it_holds(
    rgb_video, tmp_path, colour_model, colour_captioner, monkeypatch, read_only
):
    cache_dir = tmp_path / "cache"
    video = open_rgb(rgb_video, cache_dir)
    clean, captions = answers(video), video.caption(0, 6, every=1.0)
    read_only(cache_dir)
    monkeypatch.setattr(store, "open_source", no_decoding)
    shared = open_rgb(shutil.copyfile(rgb_video, tmp_path / "copy.mp4"), cache_dir)
    assert shared.index().reused and answers(shared) == clean
    assert shared.caption(0, 6, every=1.0).captions == captions.captions
    assert colour_captioner.frames_captioned == 6
