"""The frame-source contract, checked on every backend.

Synthetic files carry their frame number as a bar code (``read_mark``) and are written at known
times, so a frame and its timestamp can be checked against the truth, not against another
backend. Real clips are checked against ffprobe / ffmpeg and against each other.
"""

from __future__ import annotations

import shutil
import subprocess
import tracemalloc
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from videoscout.errors import UsageError, VideoDecodeError, VideoNotFoundError, VideoOpenError
from videoscout.video import AVAILABLE_BACKENDS, fit_short_side, open_source, probe

from synthetic import COLOURS, _frame, colour_segments, read_mark, write_video

BACKENDS = list(AVAILABLE_BACKENDS)
WIDTH, HEIGHT = 96, 64  # native size of the synthetic files; the bar code needs 96 px
CLIPS = ["bikes", "bigbuckbunny", "carphone"]

needs_ffprobe = pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe not installed")
needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")


def vfr_times(count: int, start: float = 0.0) -> list[float]:
    """Irregular frame times: gaps cycle through 40 ms, 100 ms and 300 ms."""
    gaps = [0.04, 0.1, 0.3]
    times = [start]
    for i in range(count - 1):
        times.append(round(times[-1] + gaps[i % 3], 6))
    return times


def marked_video(path: Path, times: list[float], colour: str = "white") -> Path:
    frames = [_frame(COLOURS[colour], (WIDTH, HEIGHT), n) for n in range(len(times))]
    return write_video(path, frames, times)


# --- ffprobe / ffmpeg as the reference ------------------------------------------------------


def ffprobe_stream(path: Path) -> dict[str, str]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=codec_name,width,height,avg_frame_rate,r_frame_rate,nb_frames,duration,start_time",
         "-of", "default=noprint_wrappers=1", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def ffprobe_frame_times(path: Path) -> np.ndarray:
    """Presentation time of every decoded frame, relative to the start of the video stream."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "frame=best_effort_timestamp_time", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    # Frames with side data print a trailing comma and an empty line.
    times = np.array([float(line.split(",")[0]) for line in out.split() if line.strip(",")])
    start = ffprobe_stream(path).get("start_time", "N/A")
    return times - (float(start) if start != "N/A" else 0.0)


def ffmpeg_frames(path: Path, indices: list[int]) -> np.ndarray:
    """Frames ``indices`` (presentation order) decoded by the ffmpeg program, native size RGB."""
    info = ffprobe_stream(path)
    width, height = int(info["width"]), int(info["height"])
    select = "+".join(f"eq(n\\,{i})" for i in sorted(indices))
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v:0", "-vf", f"select={select}",
         "-vsync", "0", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    frames = np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3)
    assert len(frames) == len(indices)
    return frames


def has_b_frames(path: Path) -> bool:
    """True when packets come in an order different from presentation order."""
    with av.open(str(path)) as container:
        pts = [p.pts for p in container.demux(container.streams.video[0]) if p.pts is not None]
    return pts != sorted(pts)


# --- the synthetic files, written once per session -------------------------------------------


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sources")


@pytest.fixture(scope="session")
def synthetic(media_dir) -> dict[str, tuple[Path, np.ndarray]]:
    """name -> (path, times written); every frame shows its number as a bar code."""
    cfr = [round(i / 10, 6) for i in range(80)]
    vfr = vfr_times(45)
    shifted = vfr_times(30, start=1.5)
    return {
        # 8 s at 10 fps, keyframe every 12 frames and two B-frames, so several GOPs.
        "cfr": (
            colour_segments(
                media_dir / "cfr.mp4", [("red", 2), ("green", 2), ("blue", 2), ("yellow", 2)]
            ),
            np.array(cfr),
        ),
        "vfr": (marked_video(media_dir / "vfr.mp4", vfr), np.array(vfr)),
        # The stream starts at 1.5 s: timestamps count from the stream start.
        "shifted": (marked_video(media_dir / "shifted.mp4", shifted), np.array(shifted) - 1.5),
        # MPEG-TS: no index, seeks land by decode time; the stream starts at ~1.4 s.
        "mpegts": (marked_video(media_dir / "vfr.ts", vfr), np.array(vfr)),
    }


@pytest.fixture(scope="session")
def long_video(media_dir) -> Path:
    """2 minutes at 25 fps, bar-coded."""
    return colour_segments(media_dir / "long.mp4", [("blue", 60), ("white", 60)], fps=25)


@pytest.fixture(scope="session")
def trimmed_video(media_dir, long_video) -> Path:
    """A clip cut with `-c copy` between keyframes: its edit list hides the first packets."""
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed")
    path = media_dir / "trimmed.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-ss", "1.3", "-i", str(long_video), "-t", "4",
         "-c", "copy", str(path)],
        check=True,
    )  # fmt: skip
    return path


# decord has no reader for these: it must refuse them (open_source then falls back to PyAV)
# rather than return wrong frames.
MAY_REFUSE = {("decord", "mpegts"), ("decord", "trimmed")}


def open_case(path: Path, backend: str, case: str, size=None):
    try:
        return open_source(path, size=size, backend=backend)
    except VideoOpenError as exc:
        if (backend, case) in MAY_REFUSE:
            assert "\n" not in str(exc) and str(path) in str(exc)
            pytest.skip(f"{backend} refuses {case} files: {exc}")
        raise


def marks(images: np.ndarray) -> list[int]:
    return [read_mark(image, WIDTH) for image in images]


SYNTHETIC = ["cfr", "vfr", "shifted", "mpegts"]


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(params=SYNTHETIC)
def case(request, synthetic) -> tuple[str, Path, np.ndarray]:
    return (request.param, *synthetic[request.param])


# --- contract on synthetic files -------------------------------------------------------------


def test_synthetic_files_have_b_frames(synthetic):
    for path, _ in synthetic.values():
        assert has_b_frames(path), path


def test_timestamps_are_the_times_written(backend, case):
    name, path, times = case
    with open_case(path, backend, name) as source:
        stamps = source.timestamps
    assert stamps.dtype == np.float64
    assert len(stamps) == len(times)
    np.testing.assert_allclose(stamps, times, atol=1e-3, rtol=0)


@needs_ffprobe
def test_timestamps_match_ffprobe(backend, case):
    name, path, _ = case
    with open_case(path, backend, name) as source:
        stamps = source.timestamps
    reference = ffprobe_frame_times(path)
    assert len(stamps) == len(reference)
    np.testing.assert_allclose(stamps, reference, atol=1e-3, rtol=0)


def test_get_frames_in_any_order_with_repeats(backend, case):
    name, path, times = case
    rng = np.random.default_rng(7)
    wanted = [*rng.integers(0, len(times), 20), 0, len(times) - 1, 5, 5, 0]
    with open_case(path, backend, name) as source:
        batch = source.get_frames(wanted)
        assert marks(batch.images) == wanted
        np.testing.assert_array_equal(batch.indices, wanted)
        np.testing.assert_allclose(batch.timestamps, times[wanted], atol=1e-3, rtol=0)
        assert batch.images.dtype == np.uint8
        assert batch.images.shape == (len(wanted), HEIGHT, WIDTH, 3)


def test_get_frames_after_seeking_back_and_forth(backend, case):
    name, path, times = case
    last = len(times) - 1
    # Backwards jumps across GOPs, a short step forward after each, the same frame twice.
    order = [last, last // 2, last // 2 + 1, 3, 0, last - 1, 1, 13, 12, 12, 11, last]
    with open_case(path, backend, name) as source:
        got = [read_mark(source.get_frames([i]).images[0], WIDTH) for i in order]
    assert got == order


@pytest.mark.parametrize("size", [(64, 48), (32, 24), (160, 96)])
def test_get_frames_at_requested_size(backend, case, size):
    name, path, times = case
    wanted = [len(times) - 1, 0, 9, 4]
    with open_case(path, backend, name, size=size) as source:
        images = source.get_frames(wanted).images
    width, height = size
    assert images.shape == (len(wanted), height, width, 3)
    assert images.dtype == np.uint8
    assert marks(images) == wanted


def test_get_frames_of_nothing(backend, case):
    name, path, _ = case
    with open_case(path, backend, name, size=(64, 48)) as source:
        batch = source.get_frames([])
    assert len(batch) == 0
    assert batch.images.shape == (0, 48, 64, 3)


@pytest.mark.parametrize("batch_size", [1, 7, 1000])
def test_iter_frames_in_order_and_bounded(backend, case, batch_size):
    name, path, times = case
    wanted = list(range(0, len(times), 3))
    with open_case(path, backend, name) as source:
        batches = list(source.iter_frames(wanted, batch_size))
    assert all(0 < len(b) <= batch_size for b in batches)
    assert all(len(b.images) == len(b) == len(b.timestamps) for b in batches)
    assert [i for b in batches for i in b.indices] == wanted
    assert [m for b in batches for m in marks(b.images)] == wanted
    stamps = np.concatenate([b.timestamps for b in batches])
    np.testing.assert_allclose(stamps, times[wanted], atol=1e-3, rtol=0)


def test_metadata_of_synthetic_video(backend, synthetic):
    path, times = synthetic["cfr"]
    info = probe(path)
    with open_source(path, backend=backend) as source:
        assert source.info == info
        assert len(source.timestamps) == info.frame_count
    assert info.frame_count == len(times)
    assert (info.width, info.height) == (WIDTH, HEIGHT)
    assert info.codec == "h264"
    assert info.has_audio is False
    assert isinstance(info.fps, Fraction)
    # The writer gives the last frame 1/25 s, so duration and average rate are a little off 10.
    assert info.duration == pytest.approx(times[-1] + 0.1, abs=0.07)
    assert float(info.fps) == pytest.approx(10, rel=0.05)


def test_metadata_reports_audio(backend, rgb_video):
    info = probe(rgb_video)
    assert info.has_audio is True
    assert info.frame_count == 120
    assert info.duration == pytest.approx(12, abs=0.1)
    with open_source(rgb_video, backend=backend) as source:
        assert len(source.timestamps) == 120
        np.testing.assert_allclose(source.timestamps, np.arange(120) / 10, atol=1e-3, rtol=0)


@needs_ffprobe
@pytest.mark.parametrize("name", ["cfr", "vfr", "shifted"])
def test_metadata_matches_ffprobe(synthetic, name):
    path, _ = synthetic[name]
    expected = ffprobe_stream(path)
    info = probe(path)
    assert info.codec == expected["codec_name"]
    assert (info.width, info.height) == (int(expected["width"]), int(expected["height"]))
    assert info.frame_count == int(expected["nb_frames"])
    assert info.fps == Fraction(expected["avg_frame_rate"])
    assert info.duration == pytest.approx(float(expected["duration"]), abs=1e-3)


# --- files decord cannot read ------------------------------------------------------------------


def test_trimmed_clip_starts_at_its_first_shown_frame(backend, trimmed_video):
    with open_case(trimmed_video, backend, "trimmed") as source:
        stamps = source.timestamps
        shown = marks(source.get_frames(range(len(stamps))).images)
        again = marks(source.get_frames([len(stamps) - 1, 7, 0, 3]).images)
    first = shown[0]
    # Frames of the 25 fps source in order, each at its own time since the cut (`-t` can drop
    # a B-frame of the last GOP, so they need not be consecutive).
    assert again == [shown[-1], shown[7], shown[0], shown[3]]
    np.testing.assert_allclose(stamps, (np.array(shown) - first) / 25, atol=1e-3, rtol=0)
    # The cut was at 1.3 s, between the frames shown at 1.28 s and 1.32 s.
    assert first in (32, 33)


@needs_ffprobe
def test_trimmed_clip_timestamps_match_ffprobe(backend, trimmed_video):
    with open_case(trimmed_video, backend, "trimmed") as source:
        stamps = source.timestamps
    reference = ffprobe_frame_times(trimmed_video)
    assert len(stamps) == len(reference)
    np.testing.assert_allclose(stamps, reference, atol=1e-3, rtol=0)


def test_open_source_falls_back_for_files_decord_refuses(synthetic, trimmed_video):
    path, _ = synthetic["mpegts"]
    with open_source(path) as source:
        wanted = [len(source.timestamps) - 1, 0, 20]
        assert marks(source.get_frames(wanted).images) == wanted
    with open_source(trimmed_video) as source:
        wanted = [len(source.timestamps) - 1, 0, 50]
        shown = np.array(marks(source.get_frames(wanted).images))
        np.testing.assert_allclose(source.timestamps[wanted], (shown - shown[1]) / 25, atol=1e-3)


def test_open_source_falls_back_when_decord_cannot_decode_the_size(synthetic):
    path, times = synthetic["vfr"]
    # decord 0.6 fails at 48x32 on this file; PyAV must take over, not crash.
    with open_source(path, size=(48, 32)) as source:
        images = source.get_frames([3, 40, 0]).images
    assert images.shape == (3, 32, 48, 3)
    assert marks(images) == [3, 40, 0]


# --- bounded memory on a long video --------------------------------------------------------------


def test_iter_frames_memory_is_bounded_by_batch_size(backend, long_video):
    batch_size = 50
    frame_bytes = WIDTH * HEIGHT * 3
    with open_source(long_video, backend=backend) as source:
        n = len(source.timestamps)
        assert n == 3000
        tracemalloc.start()
        try:
            count = 0
            for batch in source.iter_frames(np.arange(n), batch_size):
                assert len(batch) <= batch_size
                assert batch.images.shape[0] == len(batch)
                assert read_mark(batch.images[-1], WIDTH) == batch.indices[-1]
                count += len(batch)
                del batch
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert count == n
    # A few batches at most ever live at once; the whole video would be 3000 frames.
    assert peak < 6 * batch_size * frame_bytes, f"peak {peak / 1e6:.1f} MB"


# --- bad input ---------------------------------------------------------------------------------


def one_line_naming(exc: pytest.ExceptionInfo, path: Path) -> None:
    message = str(exc.value)
    assert "\n" not in message
    assert str(path) in message


@pytest.mark.parametrize("backend", [*BACKENDS, None])
def test_missing_file(tmp_path, backend):
    path = tmp_path / "nope.mp4"
    with pytest.raises(VideoNotFoundError) as exc:
        open_source(path, backend=backend)
    one_line_naming(exc, path)
    with pytest.raises(VideoNotFoundError):
        probe(path)
    with pytest.raises(VideoNotFoundError):
        open_source(tmp_path, backend=backend)  # a folder is not a video either


@pytest.mark.parametrize("backend", [*BACKENDS, None])
@pytest.mark.parametrize(
    "content",
    [b"", b"hello, this is text\n" * 40, bytes(range(256)) * 64],
    ids=["empty", "text", "binary"],
)
def test_not_a_video(tmp_path, backend, content):
    path = tmp_path / "fake.mp4"
    path.write_bytes(content)
    with pytest.raises(VideoOpenError) as exc:
        open_source(path, backend=backend)
    one_line_naming(exc, path)
    with pytest.raises(VideoOpenError) as exc:
        probe(path)
    one_line_naming(exc, path)


@pytest.mark.parametrize("backend", [*BACKENDS, None])
def test_audio_only_file(tmp_path, backend):
    path = tmp_path / "sound.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=16000)
        for i in range(20):
            chunk = av.AudioFrame.from_ndarray(
                np.zeros((1, 1024), np.float32), format="fltp", layout="mono"
            )
            chunk.sample_rate, chunk.pts = 16000, i * 1024
            container.mux(stream.encode(chunk))
        container.mux(stream.encode())
    with pytest.raises(VideoOpenError) as exc:
        open_source(path, backend=backend)
    one_line_naming(exc, path)


@pytest.fixture(scope="session")
def faststart_video(media_dir, long_video) -> Path:
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed")
    path = media_dir / "faststart.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(long_video), "-movflags", "+faststart",
         "-c", "copy", str(path)],
        check=True,
    )  # fmt: skip
    return path


def frame_boundary(path: Path, near: int) -> int:
    """The byte offset where the video frame stored closest to ``near`` starts."""
    with av.open(str(path)) as container:
        starts = [p.pos for p in container.demux(container.streams.video[0]) if p.size]
    return min(starts, key=lambda pos: abs(pos - near))


@pytest.mark.parametrize("backend", [*BACKENDS, None])
@pytest.mark.parametrize("keep", [0.4, 0.1, 0.75, 0.99, "boundary"])
def test_truncated_video(tmp_path, faststart_video, backend, keep):
    data = faststart_video.read_bytes()
    # The index (moov) must come first, or the cut file would not even look like a video.
    assert data[4:8] == b"ftyp" and data.find(b"moov") < data.find(b"mdat")
    # A cut between two frames leaves nothing half-written for a decoder to trip on.
    cut = frame_boundary(faststart_video, len(data) // 2) if keep == "boundary" else keep
    path = tmp_path / "cut.mp4"
    path.write_bytes(data[: cut if isinstance(cut, int) else int(len(data) * cut)])
    with (
        pytest.raises((VideoOpenError, VideoDecodeError)) as exc,
        open_source(path, backend=backend) as source,
    ):
        for _ in source.iter_frames(np.arange(len(source.timestamps)), 64):
            pass
    one_line_naming(exc, path)


def test_unknown_backend(synthetic):
    path, _ = synthetic["cfr"]
    with pytest.raises(UsageError) as exc:
        open_source(path, backend="opencv")
    message = str(exc.value)
    assert "opencv" in message and "\n" not in message
    for name in AVAILABLE_BACKENDS:
        assert name in message


# --- real clips ----------------------------------------------------------------------------------


@pytest.fixture(params=CLIPS)
def clip(request, sample_clip) -> Path:
    return sample_clip(request.param)


@pytest.mark.media
@needs_ffprobe
def test_clip_timestamps_match_ffprobe(backend, clip):
    with open_source(clip, backend=backend) as source:
        stamps = source.timestamps
    reference = ffprobe_frame_times(clip)
    assert len(stamps) == len(reference)
    np.testing.assert_allclose(stamps, reference, atol=1e-3, rtol=0)


@pytest.mark.media
@needs_ffprobe
def test_clip_metadata_matches_ffprobe(backend, clip):
    expected = ffprobe_stream(clip)
    with open_source(clip, backend=backend) as source:
        info = source.info
        assert len(source.timestamps) == info.frame_count
    assert info == probe(clip)
    assert info.codec == expected["codec_name"]
    assert (info.width, info.height) == (int(expected["width"]), int(expected["height"]))
    assert info.frame_count == int(expected["nb_frames"])
    assert isinstance(info.fps, Fraction)
    assert info.fps == Fraction(expected["avg_frame_rate"])
    assert info.duration == pytest.approx(float(expected["duration"]), abs=1e-3)
    audio = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a", "-show_entries", "stream=index",
         "-of", "csv=p=0", str(clip)],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert info.has_audio == bool(audio)


@pytest.mark.media
@needs_ffmpeg
def test_clip_frames_match_ffmpeg(backend, clip):
    with open_source(clip, backend=backend) as source:
        n = len(source.timestamps)
        wanted = [n - 1, n // 2, 1, n // 3, 0, n - 2]
        images = source.get_frames(wanted).images
    reference = ffmpeg_frames(clip, wanted)
    by_index = dict(zip(sorted(wanted), reference, strict=True))
    for index, image in zip(wanted, images, strict=True):
        diff = np.abs(image.astype(np.int16) - by_index[index]).mean()
        assert diff < 3, f"frame {index}: mean abs diff {diff:.1f} from ffmpeg"


@pytest.mark.media
def test_clip_random_access_equals_sequential_decoding(backend, clip):
    with open_source(clip, backend=backend) as source:
        size = fit_short_side(source.info.width, source.info.height, 64)
    with open_source(clip, size=size, backend=backend) as source:
        n = len(source.timestamps)
        sequential = np.concatenate([b.images for b in source.iter_frames(np.arange(n), 32)])
        rng = np.random.default_rng(3)
        wanted = [*rng.integers(0, n, 6), n - 1, 0, n - 1]
        shuffled = source.get_frames(wanted).images
    assert sequential.shape == (n, size[1], size[0], 3)
    np.testing.assert_array_equal(shuffled, sequential[wanted])


@pytest.mark.media
@pytest.mark.skipif(len(BACKENDS) < 2, reason="needs two backends")
def test_backends_agree_on_clips(clip):
    info = probe(clip)
    size = fit_short_side(info.width, info.height, 96)
    stamps, images = {}, {}
    for name in BACKENDS:
        with open_source(clip, size=size, backend=name) as source:
            stamps[name] = source.timestamps
            wanted = np.linspace(0, len(source.timestamps) - 1, 8).astype(int)
            images[name] = source.get_frames(wanted).images.astype(np.int16)
    first, *others = BACKENDS
    for name in others:
        assert len(stamps[name]) == len(stamps[first])
        np.testing.assert_allclose(stamps[name], stamps[first], atol=1e-3, rtol=0)
        diffs = np.abs(images[name] - images[first]).mean(axis=(1, 2, 3))
        assert diffs.max() < 3, f"{name} vs {first}: mean abs diffs {diffs.round(2)}"
