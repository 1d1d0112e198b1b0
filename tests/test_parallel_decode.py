"""Index decoding in worker processes: the frames, timestamps and scene decisions of the single
reader, exactly, on real clips and on VFR and MPEG-TS files made with ffmpeg."""

from __future__ import annotations

import dataclasses
import multiprocessing
import shutil
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from videoscout.errors import UsageError
from videoscout.retrieval.build import BuildStats, embed_video, sampled_batches
from videoscout.video import Sampling, fit_short_side, open_source, probe
from videoscout.video import parallel_decode as parallel
from videoscout.video.decoders import decoder_count

from fakes import ColourEmbedder
from synthetic import colour_segments, read_mark

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")

# 40 s of moving test pattern at 25 fps, a keyframe every second, two B-frames.
_PATTERN = ["-f", "lavfi", "-i", "testsrc2=size=192x108:rate=25:duration=40"]
_X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-bf", "2", "-pix_fmt", "yuv420p"]
# Frame times 40 ms apart, pushed by 24 ms every 4th frame and wobbling by 10 ms: no two gaps
# in a row alike, kept to the millisecond.
_VFR = "settb=1/1000,setpts=(N+0.6*floor(N/4)+0.25*mod(N\\,3))/25/TB"


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("parallel")


@pytest.fixture(scope="module")
def mpegts_video(media) -> Path:
    """No keyframe index (seeks land by decode time); the stream starts at 1.48 s."""
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed")
    path = media / "pattern.ts"
    ffmpeg(*_PATTERN, *_X264, "-f", "mpegts", str(path))
    return path


@pytest.fixture(scope="module")
def vfr_video(media) -> Path:
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed")
    path = media / "vfr.mp4"
    ffmpeg(*_PATTERN, "-vf", _VFR, "-fps_mode", "passthrough", "-enc_time_base:v", "1/1000",
           *_X264, str(path))  # fmt: skip
    return path


@pytest.fixture(scope="module")
def cuts_video(media) -> Path:
    """40 s of solid colours cut off the sampling grid; a keyframe every 12 frames."""
    segments = [("red", 3.3), ("green", 4.1), ("blue", 2.7), ("yellow", 5.2), ("white", 4.7)]
    return colour_segments(media / "cuts.mp4", segments * 2, mark=False)


@pytest.fixture
def clip(request, mpegts_video, vfr_video, cuts_video, sample_clip) -> Path:
    if request.param == "bikes":
        return sample_clip("bikes")  # 10 s, six keyframes, shot cuts
    return {"mpegts": mpegts_video, "vfr": vfr_video, "cuts": cuts_video}[request.param]


@pytest.fixture
def small_ranges(monkeypatch):
    """Ranges of a few frames from any video, so that even short clips have many boundaries."""
    monkeypatch.setattr(parallel, "FRAMES_PER_RANGE", 4)
    monkeypatch.setattr(parallel, "MIN_SECONDS", 0.0)


def sampled(path: Path, sampling: Sampling, decoders: int) -> tuple[list, BuildStats]:
    """The index build's batches, decoded small (resized as an index resizes)."""
    info = probe(path)
    size = fit_short_side(info.width, info.height, 72)
    stats = BuildStats()
    with open_source(path, size=size, backend="pyav", threads=1, info=info) as source:
        batches = list(sampled_batches(source, sampling, 8, stats, decoders=decoders))
    return batches, stats


def assert_same_batches(got: list, expected: list) -> None:
    assert [len(b) for b in got] == [len(b) for b in expected]
    for mine, theirs in zip(got, expected, strict=True):
        np.testing.assert_array_equal(mine.indices, theirs.indices)
        np.testing.assert_array_equal(mine.timestamps, theirs.timestamps)
        np.testing.assert_array_equal(mine.images, theirs.images)


SAMPLINGS = {
    "uniform": Sampling(mode="uniform", fps=5),
    "every-frame": Sampling(mode="uniform", fps=1000),
    # Every frame a candidate: the test pattern moves, so some are kept and some not.
    "scene": Sampling(mode="scene", fps=25, threshold=20, max_gap=3),
}


@needs_ffmpeg
@pytest.mark.parametrize("sampling", list(SAMPLINGS), ids=str)
@pytest.mark.parametrize(
    "clip",
    ["mpegts", "vfr", "cuts", pytest.param("bikes", marks=pytest.mark.media)],
    indirect=True,
)
def test_workers_give_the_single_readers_frames(clip, sampling, small_ranges):
    sampling = SAMPLINGS[sampling]
    expected, one = sampled(clip, sampling, decoders=1)
    got, two = sampled(clip, sampling, decoders=2)
    assert one.decoders == 1 and two.decoders == 2  # the parallel path ran
    assert two.candidates == one.candidates
    assert_same_batches(got, expected)
    kept = sum(len(b) for b in expected)
    if sampling.mode == "scene":  # decisions on both sides of every range boundary
        assert 1 < kept < one.candidates
    else:
        assert kept == one.candidates


def test_ranges_start_only_where_no_frame_refers_across(mpegts_video, small_ranges):
    with open_source(mpegts_video, backend="pyav") as source:
        candidates = SAMPLINGS["uniform"].candidates(source.timestamps)
        shares = parallel.split_ranges(source, candidates)
    assert len(shares) > 20
    # Every wanted frame once, in order, in ranges that follow one another in the file.
    np.testing.assert_array_equal(np.concatenate([s.indices for s in shares]), candidates)
    for before, after in zip(shares, shares[1:], strict=False):
        assert before.task.plan.pts.max() < after.task.plan.pts.min()
        assert after.task.plan.key[0]


@pytest.mark.parametrize("video", ["mpegts", "vfr"])
def test_a_worker_that_lands_after_its_keyframe_steps_back(video, mpegts_video, vfr_video):
    """A seek that lands past a range's first packet (MPEG-TS seeks by decode time) must not
    start decoding mid-GOP: the worker seeks earlier until it reaches that packet."""
    path = {"mpegts": mpegts_video, "vfr": vfr_video}[video]
    with open_source(path, size=(64, 36), backend="pyav") as source:
        wanted = np.arange(len(source.timestamps))
        shares = parallel.split_ranges(source, wanted, frames_per_range=30, min_seconds=0)
        share = shares[len(shares) // 2]
        expected = source.get_frames(share.indices).images
    late = int(share.task.plan.pts.max())  # its last packet: far past its keyframe
    task = dataclasses.replace(share.task, seek_to=late)
    images, found = parallel.decode_range(task)
    assert found.all()
    np.testing.assert_array_equal(images, expected)


def test_range_starts_skip_open_gops():
    # Decode order. Closed: the keyframe at 4 comes after all of 0-3 and before all of 5-7.
    closed = np.array([0, 3, 1, 2, 4, 7, 5, 6, 8, 9])
    key = np.zeros(10, bool)
    key[[0, 4, 8]] = True
    assert np.flatnonzero(parallel.range_starts(closed, key)).tolist() == [0, 4, 8]
    # Open: frames 4 and 5 follow the keyframe shown at 6 and refer back past it.
    opened = np.array([0, 3, 1, 2, 6, 4, 5, 7, 8, 9])
    key[:] = False
    key[[0, 4, 7]] = True
    assert np.flatnonzero(parallel.range_starts(opened, key)).tolist() == [0, 7]


@needs_ffmpeg
def test_index_uses_the_decoders_asked_for_with_the_same_result(vfr_video, monkeypatch):
    """Through ``embed_video`` with the real thresholds: 46 s is long enough to split."""
    sampling = Sampling(mode="uniform", fps=2)
    results = {}
    for decoders in ("1", "2"):
        monkeypatch.setenv("VIDEOSCOUT_DECODERS", decoders)
        with open_source(vfr_video, size=(96, 54), backend="pyav", threads=1) as source:
            results[decoders] = embed_video(source, ColourEmbedder("fake"), sampling, 8)
    (vectors, times, indices, one), (vectors2, times2, indices2, two) = results.values()
    assert (one.decoders, two.decoders) == (1, 2)
    np.testing.assert_array_equal(vectors2, vectors)
    np.testing.assert_array_equal(times2, times)
    np.testing.assert_array_equal(indices2, indices)
    assert len(times) == 92


@pytest.mark.media
def test_short_clips_stay_with_one_reader(sample_clip):
    _, stats = sampled(sample_clip("bikes"), Sampling(), decoders=8)
    assert stats.decoders == 1


@pytest.mark.parametrize(("cores", "expected"), [(1, 1), (2, 1), (3, 2), (16, 15)])
def test_decoders_are_the_cores_beside_the_encoder(cores, expected, monkeypatch):
    monkeypatch.delenv("VIDEOSCOUT_DECODERS", raising=False)
    assert decoder_count(cores) == expected


def test_decoders_from_the_environment(monkeypatch):
    monkeypatch.setenv("VIDEOSCOUT_DECODERS", "6")
    assert decoder_count(2) == 6
    monkeypatch.setenv("VIDEOSCOUT_DECODERS", "1")
    assert decoder_count(16) == 1
    for bad in ("0", "many", "-2"):
        monkeypatch.setenv("VIDEOSCOUT_DECODERS", bad)
        with pytest.raises(UsageError) as exc:
            decoder_count()
        assert "VIDEOSCOUT_DECODERS" in str(exc.value) and "\n" not in str(exc.value)


def test_workers_end_when_the_reader_stops_early(cuts_video, small_ranges):
    with open_source(cuts_video, backend="pyav") as source:
        candidates = np.arange(len(source.timestamps))
        shares = parallel.split_ranges(source, candidates)
        frames = parallel.iter_frames_parallel(source, shares, 2, 4)
        first = next(frames)
        assert multiprocessing.active_children()
        frames.close()
    assert first.indices.tolist() == [0, 1, 2, 3]
    assert multiprocessing.active_children() == []


def test_memory_is_bounded_by_the_ranges_in_flight(media, monkeypatch):
    """Every frame of 2 minutes at 25 fps: the parent never holds more than a few ranges."""
    path = colour_segments(media / "long.mp4", [("blue", 60), ("white", 60)], fps=25)
    monkeypatch.setattr(parallel, "FRAMES_PER_RANGE", 25)
    frame_bytes = 96 * 64 * 3
    with open_source(path, backend="pyav") as source:
        candidates = np.arange(len(source.timestamps))
        shares = parallel.split_ranges(source, candidates)
        tracemalloc.start()
        try:
            count = 0
            for batch in parallel.iter_frames_parallel(source, shares, 2, 25):
                assert read_mark(batch.images[-1], 96) == batch.indices[-1]
                count += len(batch)
                del batch
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert count == 3000
    # Four ranges out (two per worker) of 25-36 frames, one being merged, one batch: ~250
    # frames at most, where the whole video is 3000.
    assert peak < 400 * frame_bytes, f"peak {peak / 1e6:.1f} MB"


def test_a_script_without_a_main_guard_runs_once(cuts_video, tmp_path):
    """Workers are spawned without re-running the parent's script (it would index again)."""
    script = tmp_path / "index_it.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import numpy as np
            from videoscout.video import open_source
            from videoscout.video.parallel_decode import iter_frames_parallel, split_ranges

            print("script ran")
            with open_source({str(cuts_video)!r}, backend="pyav") as source:
                wanted = np.arange(len(source.timestamps))
                shares = split_ranges(source, wanted, frames_per_range=8, min_seconds=0)
                frames = sum(len(b) for b in iter_frames_parallel(source, shares, 2, 16))
            print("frames", frames, "ranges", len(shares) > 2)
            """
        )
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "script ran\nframes 400 ranges True\n"


class _StopsAfterOneBatch(ColourEmbedder):
    def __init__(self) -> None:
        super().__init__("fake:stops")
        self.batches = 0

    def embed_images(self, images):
        self.batches += 1
        if self.batches > 1:
            raise KeyboardInterrupt
        return super().embed_images(images)


def test_an_interrupted_build_leaves_no_decoder_running(cuts_video, small_ranges):
    with open_source(cuts_video, backend="pyav") as source, pytest.raises(KeyboardInterrupt):
        embed_video(source, _StopsAfterOneBatch(), SAMPLINGS["uniform"], 4, decoders=2)
    assert multiprocessing.active_children() == []
