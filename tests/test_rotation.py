"""Rotated (phone) videos: every frame videoscout produces is upright, as players show it.

The clips show ``upright_picture`` (red top, blue bottom, white top-left corner) through a
display matrix; each backend's frames are checked against that picture and against the frames
FFmpeg decodes, which it turns upright by default.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from videoscout import open_video
from videoscout.agent.answer import Citation
from videoscout.cli.main import cli
from videoscout.models import register, unregister
from videoscout.sheets import citation_sheet
from videoscout.video import AVAILABLE_BACKENDS, fit_short_side, open_source, probe
from videoscout.video.clip import export_clip

from fakes import ColourCaptioner, ColourEmbedder
from synthetic import COLOURS, rotated_video, upright_picture, write_video

BACKENDS = list(AVAILABLE_BACKENDS)
ROTATIONS = [90, 180, 270]
UPRIGHT = (64, 96)  # width, height of the picture players show

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("rotated")


@pytest.fixture(scope="module", params=ROTATIONS)
def rotation(request) -> int:
    return request.param


@pytest.fixture(scope="module", params=["mp4", "mkv"])
def rotated(request, folder, rotation) -> Path:
    """A clip turned ``rotation`` degrees clockwise by its display matrix: in MP4 (which decord
    turns itself) and Matroska (which it does not)."""
    if not hasattr(av.VideoStream, "set_display_rotation"):
        pytest.skip("this PyAV cannot write a display matrix")
    return rotated_video(folder / f"rot{rotation}.{request.param}", rotation, UPRIGHT)


@pytest.fixture(scope="module")
def ffmpeg_rotated(folder, rotation) -> Path:
    """The same picture stored sideways, the rotation added by the ffmpeg program (with the
    option of its version: ``-display_rotation`` from FFmpeg 6, the ``rotate`` tag before)."""
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed")
    stored = np.rot90(upright_picture(UPRIGHT), k=rotation // 90)
    plain = write_video(folder / f"plain{rotation}.mp4", [stored] * 20, np.arange(20) / 10)
    target = folder / f"ffmpeg{rotation}.mp4"
    counterclockwise = str(-rotation % 360)
    for options in (
        ["-display_rotation", counterclockwise, "-i", str(plain)],
        ["-i", str(plain), "-metadata:s:v", f"rotate={counterclockwise}"],
    ):
        done = subprocess.run(
            ["ffmpeg", "-v", "error", "-y", *options, "-c", "copy", str(target)],
            capture_output=True,
        )
        if done.returncode == 0:
            return target
    pytest.skip(f"ffmpeg cannot add a rotation: {done.stderr.decode().strip()}")


def ffmpeg_upright(path: Path, size: tuple[int, int]) -> np.ndarray:
    """Every frame as the ffmpeg program decodes it (turned upright), scaled to ``size``."""
    width, height = size
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-vf", f"scale={width}:{height}",
         "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3)


def assert_upright(image: np.ndarray) -> None:
    """``image`` shows ``upright_picture``: white top-left, red top-right, blue bottom."""
    height, width = image.shape[:2]
    regions = {
        "white": image[: height // 8, : width // 8],
        "red": image[height // 8 : height * 3 // 8, width * 5 // 8 :],
        "blue": image[height * 5 // 8 :, :],
    }
    for colour, region in regions.items():
        mean = region.reshape(-1, 3).mean(axis=0)
        assert np.abs(mean - COLOURS[colour]).max() < 40, f"{colour} region reads {mean}"


# --- what the probe reports ------------------------------------------------------------------


def test_probe_reports_the_displayed_size_and_the_rotation(rotated, rotation):
    info = probe(rotated)
    assert (info.width, info.height) == UPRIGHT
    assert info.rotation == rotation
    assert info.to_dict()["rotation"] == rotation


def test_info_command_shows_the_displayed_size(rotated, rotation):
    result = CliRunner().invoke(cli, ["info", str(rotated), "--json"], catch_exceptions=False)
    facts = json.loads(result.stdout)
    assert (facts["width"], facts["height"], facts["rotation"]) == (*UPRIGHT, rotation)
    text = CliRunner().invoke(cli, ["info", str(rotated)], catch_exceptions=False).stdout
    assert f"{UPRIGHT[0]}x{UPRIGHT[1]}" in text


@needs_ffmpeg
def test_probe_of_ffmpeg_rotated_clip_matches_ffmpeg(ffmpeg_rotated):
    info = probe(ffmpeg_rotated)
    assert (info.width, info.height) == UPRIGHT
    assert ffmpeg_upright(ffmpeg_rotated, UPRIGHT).shape[1:3] == (UPRIGHT[1], UPRIGHT[0])


# --- frames from every backend -----------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_frames_are_upright(backend, rotated):
    with open_source(rotated, backend=backend) as source:
        images = source.get_frames([19, 0, 7]).images
    assert images.shape == (3, UPRIGHT[1], UPRIGHT[0], 3)
    for image in images:
        assert_upright(image)


@pytest.mark.parametrize("backend", BACKENDS)
def test_frames_in_order_are_upright(backend, rotated):
    """The in-order pass (PyAV's iter_frames) that indexing uses."""
    with open_source(rotated, backend=backend) as source:
        batches = list(source.iter_frames(np.arange(0, 20, 3), batch_size=4))
    for image in np.concatenate([b.images for b in batches]):
        assert_upright(image)


@needs_ffmpeg
@pytest.mark.parametrize("backend", BACKENDS)
def test_frames_match_ffmpeg(backend, rotated):
    reference = ffmpeg_upright(rotated, UPRIGHT)
    with open_source(rotated, backend=backend) as source:
        images = source.get_frames([0, 10, 19]).images
    assert images.shape[1:] == reference.shape[1:]
    for index, image in zip([0, 10, 19], images, strict=True):
        assert np.abs(image.astype(np.int16) - reference[index]).mean() < 3


@needs_ffmpeg
@pytest.mark.parametrize("backend", BACKENDS)
def test_frames_of_ffmpeg_rotated_clip_match_ffmpeg(backend, ffmpeg_rotated):
    reference = ffmpeg_upright(ffmpeg_rotated, UPRIGHT)
    with open_source(ffmpeg_rotated, backend=backend) as source:
        images = source.get_frames([0, 19]).images
    assert images.shape[1:] == reference.shape[1:]
    for index, image in zip([0, 19], images, strict=True):
        assert np.abs(image.astype(np.int16) - reference[index]).mean() < 3
        assert_upright(image)


@needs_ffmpeg
def test_resized_frames_match_ffmpeg(rotated):
    """Decoded straight to a smaller size (decord's own resizing, or PyAV's, whichever opens)."""
    size = fit_short_side(*UPRIGHT, 32)
    reference = ffmpeg_upright(rotated, size)
    with open_source(rotated, size=size) as source:
        images = source.get_frames([0, 19]).images
    assert images.shape[1:] == reference.shape[1:]
    for index, image in zip([0, 19], images, strict=True):
        assert np.abs(image.astype(np.int16) - reference[index]).mean() < 6
        assert_upright(image)


# --- everything built on the frames ------------------------------------------------------------


def test_frames_at_are_upright(rotated):
    batch = open_video(rotated).frames_at([0.0, 1.95])
    assert batch.images.shape == (2, UPRIGHT[1], UPRIGHT[0], 3)
    for image in batch.images:
        assert_upright(image)


class _SeeingEmbedder(ColourEmbedder):
    def __init__(self, spec: str) -> None:
        super().__init__(spec)
        self.seen: list[np.ndarray] = []

    def embed_images(self, images: np.ndarray) -> np.ndarray:
        self.seen.extend(images)
        return super().embed_images(images)


class _SeeingCaptioner(ColourCaptioner):
    def __init__(self, spec: str) -> None:
        super().__init__(spec)
        self.seen: list[np.ndarray] = []

    def caption(self, images, decoding=None):
        self.seen.extend(images)
        return super().caption(images)

    def answer_each(self, images, question, decoding=None):
        self.seen.extend(images)
        return super().answer_each(images, question)


@pytest.fixture
def seeing_embedder():
    model = _SeeingEmbedder("fake:seeing")
    register("fake:seeing", lambda spec: model, description="test fake")
    yield model
    unregister("fake:seeing")


@pytest.fixture
def seeing_captioner():
    model = _SeeingCaptioner("fake:seeing")
    register("fake:seeing", lambda spec: model, "captioner", "test fake")
    yield model
    unregister("fake:seeing", "captioner")


def test_index_sees_upright_frames(rotated, seeing_embedder, cache_dir):
    open_video(rotated, model="fake:seeing", cache_dir=cache_dir).index()
    assert seeing_embedder.seen
    for image in seeing_embedder.seen:
        assert image.shape[0] > image.shape[1]  # portrait, as shown
        assert_upright(image)


def test_captions_and_answers_see_upright_frames(rotated, seeing_captioner, cache_dir):
    video = open_video(rotated, captioner="fake:seeing", cache_dir=cache_dir)
    video.caption(frames=2)
    video.look("what colour?", at=[1.0])
    assert len(seeing_captioner.seen) == 3
    for image in seeing_captioner.seen:
        assert_upright(image)


def test_contact_sheet_tiles_are_upright(rotated, tmp_path):
    video = open_video(rotated)
    citations = [Citation(0.0, 1.0, 0.5, "look"), Citation(1.0, 2.0, 1.5, "look")]
    sheet = citation_sheet(video, citations, tmp_path, "sheet")
    with Image.open(sheet) as picture:
        tiles = np.asarray(picture.convert("RGB"))
    label = 22  # the label strip above each tile
    tile_width = tiles.shape[1] // 2
    tile_height = tiles.shape[0] - label
    assert tile_height > tile_width  # portrait tiles
    for column in range(2):
        assert_upright(tiles[label:, column * tile_width : (column + 1) * tile_width])


@needs_ffmpeg
def test_exported_clip_is_upright(rotated, tmp_path):
    clip = export_clip(rotated, 0.5, 1.5, tmp_path / "clip.mp4")
    info = probe(clip)
    assert (info.width, info.height, info.rotation) == (*UPRIGHT, 0)
    # Upright in its pixels: players that ignore rotation show it right too.
    stored = ffmpeg_upright(clip, UPRIGHT)
    assert len(stored) == 10
    for image in stored:
        assert_upright(image)
    reference = ffmpeg_upright(rotated, UPRIGHT)[5]
    assert np.abs(stored[0].astype(np.int16) - reference).mean() < 3
