"""Clips and citation sheets for the chat's ``/clip`` and ``/sheet``: which source frames a clip
holds (read from each frame's bar code), its timing, its audio, and its errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

import videoscout
from videoscout import Citation
from videoscout.errors import InvalidTimeError, UsageError
from videoscout.retrieval.contact_sheet import LABEL_HEIGHT, TILE_WIDTH
from videoscout.sheets import citation_sheet
from videoscout.video import clip as clip_module
from videoscout.video.clip import export_clip

from synthetic import COLOURS, read_mark

WIDTH = 96  # rgb_video's size


def read_clip(path: Path) -> dict:
    """Frames (marks, times, mean colours below the bar code) and audio of a written clip."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        frames = [f for f in container.decode(video)]
        images = [f.to_ndarray(format="rgb24") for f in frames]
        report = {
            "marks": [read_mark(image, WIDTH) for image in images],
            "times": [float(f.time) for f in frames],
            "first_pts": frames[0].pts,
            "colours": [image[16:].reshape(-1, 3).mean(axis=0) for image in images],
            "duration": float(video.duration * video.time_base),
            "size": (video.width, video.height),
            "codec": video.codec_context.name,
            "audio": None,
        }
    with av.open(str(path)) as container:
        if container.streams.audio:
            audio = container.streams.audio[0]
            samples = sum(f.samples for f in container.decode(audio))
            report["audio"] = {
                "codec": audio.codec_context.name,
                "seconds": samples / audio.codec_context.sample_rate,
                "duration": float(audio.duration * audio.time_base),
            }
    return report


def is_colour(rgb: np.ndarray, name: str) -> bool:
    return bool(np.all(np.abs(rgb - np.array(COLOURS[name])) < 25))


def test_clip_holds_exactly_the_frames_of_its_range(rgb_video, tmp_path):
    out = export_clip(rgb_video, 3.0, 6.0, tmp_path / "green.mp4")
    assert out == tmp_path / "green.mp4"
    clip = read_clip(out)
    assert clip["marks"] == list(range(30, 60))  # the source's frames at 3.0 .. 5.9
    assert clip["first_pts"] == 0 and clip["times"][0] == 0
    assert clip["times"] == pytest.approx([i / 10 for i in range(30)], abs=1e-3)
    assert clip["duration"] == pytest.approx(3.0, abs=0.01)
    assert all(is_colour(c, "green") for c in clip["colours"])
    assert clip["size"] == (96, 64) and clip["codec"] == "h264"
    assert clip["audio"]["codec"] == "aac"
    assert clip["audio"]["duration"] == pytest.approx(3.0, abs=0.02)
    # Decoded AAC ends on a whole 1024-sample frame (64 ms at 16 kHz).
    assert 3.0 <= clip["audio"]["seconds"] < 3.07
    assert [p for p in tmp_path.iterdir()] == [out]


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe not installed")
def test_ffprobe_agrees(rgb_video, tmp_path):
    out = export_clip(rgb_video, 3.0, 6.0, tmp_path / "green.mp4")
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(result.stdout)
    video, audio = sorted(report["streams"], key=lambda s: s["codec_type"] != "video")
    assert video["codec_name"] == "h264" and video["pix_fmt"] == "yuv420p"
    assert int(video["nb_frames"]) == 30
    assert float(video["start_time"]) == 0
    assert float(video["duration"]) == pytest.approx(3.0, abs=0.01)
    assert video["avg_frame_rate"] == "10/1"
    assert audio["codec_name"] == "aac" and float(audio["start_time"]) == 0
    assert float(audio["duration"]) == pytest.approx(3.0, abs=0.02)
    assert float(report["format"]["duration"]) == pytest.approx(3.0, abs=0.02)
    assert "mp4" in report["format"]["format_name"]


def test_clip_across_a_cut_goes_to_the_current_folder(rgb_video, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = export_clip(rgb_video, 8.5, 9.5)
    assert out == tmp_path / "rgb_0-08.50-0-09.50.mp4"
    clip = read_clip(out)
    assert clip["marks"] == list(range(85, 95))
    assert all(is_colour(c, "blue") for c in clip["colours"][:5])
    assert all(is_colour(c, "yellow") for c in clip["colours"][5:])
    assert clip["audio"]["duration"] == pytest.approx(1.0, abs=0.02)


def test_start_between_frames_starts_at_the_next_frame_with_audio_in_step(rgb_video, tmp_path):
    clip = read_clip(export_clip(rgb_video, 3.05, 4.0, tmp_path / "c.mp4"))
    assert clip["marks"] == list(range(31, 40))
    assert clip["times"][0] == 0
    assert clip["duration"] == pytest.approx(0.9, abs=0.01)
    # Audio starts with the first frame (3.1 s), not at 3.05 s.
    assert clip["audio"]["duration"] == pytest.approx(0.9, abs=0.02)


def test_clip_to_the_end_and_into_a_folder(rgb_video, tmp_path):
    out = export_clip(rgb_video, 11.0, 12.0, tmp_path)  # 12.0 is one frame past 11.94
    assert out == tmp_path / "rgb_0-11.00-0-12.00.mp4"
    assert read_clip(out)["marks"] == list(range(110, 120))


def test_odd_sizes_become_even(tmp_path):
    source = tmp_path / "odd.mp4"
    with av.open(str(source), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 97, 63, "yuv444p"
        for i in range(20):
            image = np.full((63, 97, 3), COLOURS["red"], np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    clip = read_clip(export_clip(source, 0.5, 1.5, tmp_path / "even.mp4"))
    assert clip["size"] == (96, 64)
    assert len(clip["marks"]) == 10 and clip["audio"] is None
    assert all(is_colour(c, "red") for c in clip["colours"])


@pytest.mark.parametrize(
    ("start", "end", "says"),
    [
        (-1.0, 2.0, "clip start"),
        (12.5, 13.0, "clip start"),
        (5.0, 5.0, "empty clip"),
        (6.0, 3.0, "empty clip"),
        (3.0, 20.0, "clip end"),
        (float("nan"), 3.0, "not a pair of times"),
    ],
)
def test_times_outside_the_video_name_the_valid_range(rgb_video, tmp_path, start, end, says):
    with pytest.raises(InvalidTimeError, match=says) as error:
        export_clip(rgb_video, start, end, tmp_path / "c.mp4")
    assert "the video runs 0:00-0:11.94" in str(error.value)
    assert "\n" not in str(error.value)
    assert list(tmp_path.iterdir()) == []


def test_a_range_shorter_than_a_frame_leaves_no_file(rgb_video, tmp_path):
    with pytest.raises(InvalidTimeError, match="shorter than a frame"):
        export_clip(rgb_video, 3.01, 3.05, tmp_path / "c.mp4")
    assert list(tmp_path.iterdir()) == []


def test_output_must_be_mp4(rgb_video, tmp_path):
    with pytest.raises(UsageError, match=r"\.mp4 \(e\.g\. c\.mp4\)"):
        export_clip(rgb_video, 3.0, 4.0, tmp_path / "c.mkv")
    with pytest.raises(UsageError, match="own video"):
        export_clip(rgb_video, 3.0, 4.0, rgb_video)
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_folder(rgb_video, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(UsageError, match="cannot write the clip into .*writable folder"):
        export_clip(rgb_video, 3.0, 4.0, blocker / "c.mp4")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_read_only_output_folder(rgb_video, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(UsageError, match="Permission denied"):
            export_clip(rgb_video, 3.0, 4.0, folder / "c.mp4")
    finally:
        folder.chmod(0o700)


def test_interrupt_leaves_no_half_written_file(rgb_video, tmp_path, monkeypatch):
    written = []
    video = clip_module._Clip._video

    def interrupted(self, frame):
        written.append(frame)
        if len(written) == 5:
            raise KeyboardInterrupt
        return video(self, frame)

    monkeypatch.setattr(clip_module._Clip, "_video", interrupted)
    with pytest.raises(KeyboardInterrupt):
        export_clip(rgb_video, 3.0, 6.0, tmp_path / "c.mp4")
    assert list(tmp_path.iterdir()) == []


def test_an_existing_clip_is_replaced_whole(rgb_video, tmp_path):
    out = tmp_path / "c.mp4"
    out.write_bytes(b"old")
    export_clip(rgb_video, 0.0, 1.0, out)
    assert read_clip(out)["marks"] == list(range(10))
    assert list(tmp_path.iterdir()) == [out]


# --- citation sheets ------------------------------------------------------------------------


def tile_pixel(image: Image.Image, index: int, tile_height: int) -> tuple[int, int, int]:
    """A pixel in the middle of tile ``index`` (below the bar code and the label)."""
    x = (index % 3) * TILE_WIDTH + TILE_WIDTH // 2
    y = (index // 3) * (tile_height + LABEL_HEIGHT) + LABEL_HEIGHT + tile_height // 2
    return image.getpixel((x, y))


def test_citation_sheet_shows_each_cited_frame(rgb_video, colour_model, tmp_path):
    video = videoscout.open_video(rgb_video, model="fake:colour")
    citations = [
        Citation(3.0, 6.0, 4.5, 'search "green"'),
        Citation(6.0, 9.0, None, "describe"),  # no frame: the middle, 7.5
        Citation(10.0, 10.0, 10.0, "look"),
        Citation(0.0, 3.0, 1.0, "look", "a red screen"),
    ]
    sheet = citation_sheet(video, citations, tmp_path / "sheets", "answer")
    assert sheet == tmp_path / "sheets" / "answer.png"
    tile_height = 214  # 320 wide at 96x64's aspect ratio, even
    with Image.open(sheet) as image:
        image = image.convert("RGB")
        assert image.size == (3 * TILE_WIDTH, 2 * (tile_height + LABEL_HEIGHT))
        for index, colour in enumerate(["green", "blue", "yellow", "red"]):
            assert is_colour(np.array(tile_pixel(image, index, tile_height)), colour)
    assert sorted(p.name for p in sheet.parent.iterdir()) == ["answer.png"]


def test_citation_sheet_of_one_citation_is_one_tile(rgb_video, colour_model, tmp_path):
    video = videoscout.open_video(rgb_video, model="fake:colour")
    sheet = citation_sheet(video, [Citation(9.0, 12.0, None, "x")], tmp_path, "one")
    with Image.open(sheet) as image:
        assert image.size == (TILE_WIDTH, 214 + LABEL_HEIGHT)
        assert is_colour(np.array(tile_pixel(image.convert("RGB"), 0, 214)), "yellow")


def test_citation_sheet_needs_citations_and_a_writable_folder(rgb_video, colour_model, tmp_path):
    video = videoscout.open_video(rgb_video, model="fake:colour")
    with pytest.raises(UsageError, match="no cited moments"):
        citation_sheet(video, [], tmp_path, "none")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(UsageError, match="cannot write the contact sheet"):
        citation_sheet(video, [Citation(0.0, 1.0, 0.5, "x")], blocker / "sheets", "s")
