"""Durations and frame counts from the stream, where a container's header claims otherwise.

Each file here has a header that is wrong in a way found in the wild: an MPEG program stream
whose duration FFmpeg guesses from its bit rate, an AVI that claims frames it never stored, and
an audio file whose cover picture FFmpeg lists as a video stream. The truth is what the ffmpeg
program decodes, and the frames carry their number as a bar code.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from videoscout import open_video
from videoscout.errors import InvalidTimeError, VideoOpenError
from videoscout.video import AVAILABLE_BACKENDS, open_source, probe

from synthetic import COLOURS, _frame, colour_segments, read_mark, set_avi_frame_count, write_avi

probe_module = importlib.import_module("videoscout.video.probe")  # the package shadows it

BACKENDS = list(AVAILABLE_BACKENDS)
WIDTH = 96  # the synthetic frames' width, which the bar code needs

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")


def decoded_count(path: Path) -> int:
    """Frames the ffprobe program decodes."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames",
         "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return int(out.strip().strip(","))


def claimed(path: Path) -> tuple[float, int]:
    """What the header says, as PyAV reads it: (duration, frame count)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if stream.duration is not None:
            duration = float(stream.duration * stream.time_base)
        else:
            duration = container.duration / av.time_base
        return duration, stream.frames


def open_or_skip(path: Path, backend: str):
    try:
        return open_source(path, backend=backend)
    except VideoOpenError as exc:
        if backend == "decord":  # decord refuses some containers: open_source falls back
            pytest.skip(f"decord refuses this file: {exc}")
        raise


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("headers")


# --- an MPEG program stream: the duration is a guess from the bit rate ----------------------------


@pytest.fixture(scope="module")
def program_stream(folder) -> Path:
    """4 s at 10 fps (red, then blue), MPEG-2 in an MPEG program stream."""
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed")
    source = colour_segments(folder / "segments.mp4", [("red", 2), ("blue", 2)])
    path = folder / "segments.mpg"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(source), "-c:v", "mpeg2video", "-f", "mpeg",
         str(path)],
        check=True,
    )  # fmt: skip
    if claimed(path)[0] >= 3.9:
        pytest.skip("this FFmpeg writes a program stream whose duration is right")
    return path


@needs_ffmpeg
def test_program_stream_reports_the_decoded_duration(program_stream):
    assert decoded_count(program_stream) == 40
    info = probe(program_stream)
    assert info.frame_count == 40
    assert info.duration == pytest.approx(4.0, abs=1e-3)  # the last frame: 3.9 s, for 0.1 s


@needs_ffmpeg
@pytest.mark.parametrize("backend", BACKENDS)
def test_program_stream_sources_agree_with_the_probe(program_stream, backend):
    info = probe(program_stream)
    with open_or_skip(program_stream, backend) as source:
        assert len(source.timestamps) == info.frame_count
        assert source.timestamps[-1] <= info.duration


@needs_ffmpeg
def test_frames_at_reaches_the_last_frame_of_a_program_stream(program_stream):
    batch = open_video(program_stream).frames_at([3.7, 3.8, 3.9, 4.0])
    assert [read_mark(image, WIDTH) for image in batch.images] == [37, 38, 39, 39]
    with pytest.raises(InvalidTimeError):
        open_video(program_stream).frames_at([4.2])


@needs_ffmpeg
def test_look_at_the_end_of_a_program_stream(program_stream, colour_captioner, cache_dir):
    video = open_video(program_stream, captioner="fake:colour", cache_dir=cache_dir)
    answer = video.look("what colour is the screen?", at=[3.8])
    assert answer.answer == "blue"


# --- AVI headers that count frames never stored -------------------------------------------------


def numbered(count: int) -> list[np.ndarray]:
    return [_frame(COLOURS["white"], (WIDTH, 64), n) for n in range(count)]


@pytest.fixture(scope="module")
def lying_avi(folder) -> Path:
    """40 frames at 10 fps whose headers (avih and strh) claim 444."""
    path = write_avi(folder / "lying.avi", numbered(40), list(range(40)))
    set_avi_frame_count(path, 444)
    assert claimed(path) == (pytest.approx(44.4), 444)
    return path


@pytest.fixture(scope="module")
def dropped_frames_avi(folder) -> Path:
    """10 frames in 34 frame slots of 0.1 s: the header counts the slots, as in tree.avi."""
    slots = [0, 3, 4, 9, 15, 16, 20, 28, 30, 33]
    path = write_avi(folder / "dropped.avi", numbered(len(slots)), slots)
    assert claimed(path) == (pytest.approx(3.4), 34)
    return path


def test_avi_with_a_lying_header_reports_the_frames_it_holds(lying_avi):
    info = probe(lying_avi)
    assert info.frame_count == 40
    assert info.duration == pytest.approx(4.0, abs=1e-3)


@needs_ffmpeg
def test_avi_counts_match_ffmpeg(lying_avi, dropped_frames_avi):
    assert probe(lying_avi).frame_count == decoded_count(lying_avi)
    assert probe(dropped_frames_avi).frame_count == decoded_count(dropped_frames_avi)


def test_avi_with_dropped_frames_reports_the_frames_it_holds(dropped_frames_avi):
    info = probe(dropped_frames_avi)
    assert info.frame_count == 10
    assert info.duration == pytest.approx(3.4, abs=1e-3)  # the slots span the whole time


@pytest.mark.parametrize("backend", BACKENDS)
def test_avi_sources_agree_with_the_probe(lying_avi, dropped_frames_avi, backend):
    for path in (lying_avi, dropped_frames_avi):
        info = probe(path)
        with open_or_skip(path, backend) as source:
            assert len(source.timestamps) == info.frame_count


def test_frames_at_stops_at_the_last_frame_an_avi_holds(lying_avi):
    video = open_video(lying_avi)
    assert read_mark(video.frames_at([3.9]).images[0], WIDTH) == 39
    with pytest.raises(InvalidTimeError):
        video.frames_at([10.0])  # inside what the header claims, after the last frame


def tree_avi() -> Path:
    """OpenCV's sample ``tree.avi`` (Debian's opencv-doc), cached beside the sample clips;
    fetched with apt-get when that works, else the test skips."""
    cache = Path(os.environ.get("VIDEOSCOUT_SAMPLES_DIR") or tempfile.gettempdir())
    target = cache / "tree.avi"
    if target.is_file():
        return target
    if os.environ.get("CI") or not (shutil.which("apt-get") and shutil.which("dpkg-deb")):
        pytest.skip(f"tree.avi is not in {cache} and cannot be fetched here")
    member = "./usr/share/doc/opencv-doc/examples/data/tree.avi"
    with tempfile.TemporaryDirectory() as scratch:
        try:
            subprocess.run(
                ["apt-get", "download", "opencv-doc"], cwd=scratch, capture_output=True,
                check=True, timeout=600,
            )  # fmt: skip
            package = next(Path(scratch).glob("opencv-doc_*.deb"))
            tarball = subprocess.run(
                ["dpkg-deb", "--fsys-tarfile", str(package)], capture_output=True, check=True
            ).stdout
            data = subprocess.run(
                ["tar", "-xOf", "-", member], input=tarball, capture_output=True, check=True
            ).stdout
        except (subprocess.SubprocessError, StopIteration) as exc:
            pytest.skip(f"cannot fetch tree.avi from Debian's opencv-doc: {exc}")
        cache.mkdir(parents=True, exist_ok=True)
        partial = cache / ".tree.avi.part"
        partial.write_bytes(data)
        os.replace(partial, target)
    return target


@pytest.mark.media
@pytest.mark.parametrize("backend", BACKENDS)
def test_tree_avi_reports_the_68_frames_it_holds(backend):
    path = tree_avi()
    assert claimed(path)[1] == 444
    info = probe(path)
    assert info.frame_count == 68
    assert info.duration == pytest.approx(29.6, abs=0.01)
    with open_source(path, backend=backend) as source:
        assert len(source.timestamps) == 68


# --- cover art is not video --------------------------------------------------------------------


@pytest.fixture(scope="module")
def cover(folder) -> Path:
    path = folder / "cover.png"
    Image.new("RGB", (64, 64), COLOURS["green"]).save(path)
    return path


@pytest.fixture(scope="module")
def song(folder, cover) -> Path:
    """3 s of sound with a cover picture (an attached picture, as music files carry)."""
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed")
    path = folder / "song.m4a"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=duration=3", "-i", str(cover),
         "-map", "0", "-map", "1", "-c:a", "aac", "-c:v", "png",
         "-disposition:v:0", "attached_pic", str(path)],
        check=True,
    )  # fmt: skip
    with av.open(str(path)) as container:
        assert container.streams.video, "ffmpeg left the cover out"
    return path


@needs_ffmpeg
@pytest.mark.parametrize("backend", [*BACKENDS, None])
def test_audio_with_cover_art_has_no_video_frames(song, backend):
    for attempt in (probe, open_video, lambda path: open_source(path, backend=backend)):
        with pytest.raises(VideoOpenError) as exc:
            attempt(song)
        message = str(exc.value)
        assert str(song) in message and "\n" not in message
        assert "no video" in message


@needs_ffmpeg
def test_video_with_cover_art_reads_the_video(folder, cover):
    source = colour_segments(folder / "plain.mp4", [("red", 2), ("blue", 2)], audio=True)
    path = folder / "with-cover.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(cover), "-i", str(source), "-map", "0",
         "-map", "1", "-c", "copy", "-c:v:0", "png", "-disposition:v:0", "attached_pic",
         str(path)],
        check=True,
    )  # fmt: skip
    info = probe(path)
    assert (info.codec, info.frame_count, info.width) == ("h264", 40, WIDTH)
    batch = open_video(path).frames_at([3.9])
    assert read_mark(batch.images[0], WIDTH) == 39


# --- probing stays cheap -----------------------------------------------------------------------


def test_probe_reads_every_packet_only_when_the_header_is_wrong(
    monkeypatch, rgb_video, lying_avi, dropped_frames_avi
):
    """A file whose header is right costs a seek and a few packets, not a pass over it."""
    calls = []
    read = probe_module.read_packets
    monkeypatch.setattr(probe_module, "read_packets", lambda path: calls.append(path) or read(path))
    probe(rgb_video)
    probe(dropped_frames_avi)  # its index tells
    assert calls == []
    probe(lying_avi)
    assert calls == [lying_avi]
