"""Synthetic videos with known content and known timestamps, written with PyAV (libx264)."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

COLOURS = {
    "red": (220, 30, 30),
    "green": (30, 200, 40),
    "blue": (30, 40, 220),
    "yellow": (230, 220, 30),
    "white": (240, 240, 240),
    "black": (10, 10, 10),
}


def write_video(
    path: Path,
    frames: Sequence[np.ndarray],
    times: Sequence[float],
    *,
    codec: str = "libx264",
    time_base: Fraction = Fraction(1, 1000),
    audio: bool = False,
) -> Path:
    """Encode RGB ``frames`` shown at ``times`` (seconds; may be irregular: VFR)."""
    height, width = frames[0].shape[:2]
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=25)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.time_base = time_base
        stream.codec_context.time_base = time_base
        if codec == "libx264":
            stream.options = {"preset": "ultrafast", "bf": "2", "g": "12"}
        if audio:
            sound = container.add_stream("aac", rate=16000)
        for image, when in zip(frames, times, strict=True):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            frame.pts = round(when / time_base)
            frame.time_base = time_base
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
        if audio:
            samples = np.zeros((1, 1024), dtype=np.float32)
            for i in range(round(times[-1] * 16000 / 1024) + 1):
                chunk = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
                chunk.sample_rate, chunk.pts = 16000, i * 1024
                container.mux(sound.encode(chunk))
            container.mux(sound.encode())
    return path


def colour_segments(
    path: Path,
    segments: Sequence[tuple[str, float]],
    *,
    fps: float = 10.0,
    size: tuple[int, int] = (96, 64),
    mark: bool = True,
    **options,
) -> Path:
    """A video of solid colours: ``segments`` is [(colour, seconds), ...] in order.

    With ``mark``, each frame carries its frame number as a binary bar code in the top row, so
    a decoded frame can be matched to the frame written at a known time.
    """
    frames, times = [], []
    t = 0.0
    n = 0
    for colour, seconds in segments:
        end = t + seconds
        while t < end - 1e-9:
            frames.append(_frame(COLOURS[colour], size, n if mark else None))
            times.append(round(t, 6))
            t += 1.0 / fps
            n += 1
        t = end
    return write_video(path, frames, times, **options)


def _frame(rgb: tuple[int, int, int], size: tuple[int, int], number: int | None) -> np.ndarray:
    width, height = size
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = rgb
    if number is not None:
        for bit in range(12):
            on = (number >> bit) & 1
            image[:8, bit * 8 : bit * 8 + 8] = 255 if on else 0
    return image


def read_mark(image: np.ndarray, width: int) -> int:
    """The frame number written by ``colour_segments`` (image decoded at native ``width``)."""
    scale = image.shape[1] / width
    value = 0
    for bit in range(12):
        x = int((bit * 8 + 4) * scale)
        if image[int(4 * scale), x].mean() > 127:
            value |= 1 << bit
    return value


def upright_picture(size: tuple[int, int]) -> np.ndarray:
    """A picture whose orientation shows: red top half, blue bottom half, white top-left
    corner (a quarter of the width and of the height)."""
    width, height = size
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[: height // 2] = COLOURS["red"]
    image[height // 2 :] = COLOURS["blue"]
    image[: height // 4, : width // 4] = COLOURS["white"]
    return image


def rotated_video(
    path: Path, rotation: int, size: tuple[int, int] = (64, 96), count: int = 20
) -> Path:
    """A phone-style video: players turn its stored pictures ``rotation`` degrees clockwise
    (a display matrix, written by PyAV) and show ``upright_picture(size)`` at 10 fps."""
    stored = np.ascontiguousarray(np.rot90(upright_picture(size), k=rotation // 90))
    height, width = stored.shape[:2]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast", "bf": "2", "g": "12"}
        stream.set_display_rotation(-rotation)  # PyAV counts counterclockwise
        for i in range(count):
            frame = av.VideoFrame.from_ndarray(stored, format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, 10)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def write_avi(path: Path, frames: Sequence[np.ndarray], slots: Sequence[int]) -> Path:
    """An MPEG-4 AVI at 10 fps showing ``frames[i]`` from frame slot ``slots[i]``: the muxer
    stores empty chunks in the slots skipped, as capture programs do for dropped frames."""
    height, width = frames[0].shape[:2]
    with av.open(str(path), "w", format="avi") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        for image, slot in zip(frames, slots, strict=True):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            frame.pts = slot
            frame.time_base = Fraction(1, 10)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def set_avi_frame_count(path: Path, count: int) -> None:
    """Overwrite the frame count an AVI's headers claim (``avih.dwTotalFrames`` and the video
    ``strh.dwLength``), leaving its frames and index as they are."""
    data = bytearray(path.read_bytes())
    avih = data.index(b"avih") + 8  # past the chunk id and size
    data[avih + 16 : avih + 20] = count.to_bytes(4, "little")
    strh = data.index(b"strh") + 8
    assert data[strh : strh + 4] == b"vids", "the first stream is not the video"
    data[strh + 32 : strh + 36] = count.to_bytes(4, "little")
    path.write_bytes(bytes(data))
