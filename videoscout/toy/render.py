"""Drawing toy-world frames with numpy: a background per scene and flat-coloured shapes."""

from __future__ import annotations

from functools import cache

import numpy as np

from .world import COLOURS, SIZES, Timeline


@cache
def background(name: str, side: int) -> np.ndarray:
    """A (side, side, 3) uint8 picture; each background has its own colours and layout."""
    y = np.linspace(0, 1, side)[:, None, None]
    image = np.zeros((side, side, 3), dtype=np.float32)
    if name == "night sky":
        image[:] = np.array([10, 15, 50]) + y * np.array([20, 20, 40])
        rng = np.random.default_rng(7)
        stars = rng.integers(0, side, size=(side // 3, 2))
        image[stars[:, 0], stars[:, 1]] = 230
    elif name == "grass field":
        sky = np.array([150, 200, 245]) * np.ones_like(y)
        grass = np.array([60, 150, 50]) - y * np.array([20, 40, 10])
        image[:] = np.where(y < 0.35, sky, grass)
    elif name == "beach":
        sky = np.array([170, 215, 250])
        sea = np.array([30, 120, 170])
        sand = np.array([235, 210, 150])
        image[:] = np.where(y < 0.3, sky, np.where(y < 0.55, sea, sand))
    elif name == "room":
        wall = np.array([200, 180, 150])
        floor = np.array([120, 80, 50])
        image[:] = np.where(y < 0.75, wall, floor)
        image[int(side * 0.15) : int(side * 0.4), int(side * 0.6) : int(side * 0.85)] = (
            90,
            140,
            200,
        )  # a window
    else:
        raise ValueError(f"unknown background {name!r}")
    return np.clip(image, 0, 255).astype(np.uint8)


@cache
def shape_mask(shape: str, radius: int) -> np.ndarray:
    """Boolean (2r+1, 2r+1) mask of a shape centred in its box."""
    yy, xx = np.mgrid[-radius : radius + 1, -radius : radius + 1].astype(np.float32) / radius
    if shape == "circle":
        return xx**2 + yy**2 <= 1.0
    if shape == "square":
        return (np.abs(xx) <= 0.8) & (np.abs(yy) <= 0.8)
    if shape == "triangle":  # apex up
        return (yy <= 0.8) & (yy >= -0.9 + 1.7 * np.abs(xx))
    if shape == "diamond":
        return np.abs(xx) + np.abs(yy) <= 1.0
    raise ValueError(f"unknown shape {shape!r}")


TITLE_SECONDS = 3.0
OUTLINE = (25, 25, 25)


def scene_titles(timeline: Timeline) -> list[dict]:
    """The text overlays: "scene N" during each scene's first seconds."""
    return [
        {"start": s.start, "end": min(s.end, s.start + TITLE_SECONDS), "text": f"scene {n}"}
        for n, s in enumerate(timeline.scenes, start=1)
    ]


def title_at(timeline: Timeline, t: float) -> str | None:
    return next((o["text"] for o in scene_titles(timeline) if o["start"] <= t < o["end"]), None)


def render(timeline: Timeline, t: float, side: int, titles: bool = False) -> np.ndarray:
    """The frame shown at time ``t``, with the scene titles drawn on it if ``titles``."""
    frame = background(timeline.background_at(t), side).copy()
    for event in timeline.on_screen(t):
        radius = round(SIZES[event.thing.size] * side)
        cx, cy = event.position(t)
        centre = round(cx * side), round(cy * side)
        # A dark outline keeps light objects visible on light backgrounds (white on sand).
        _paste(frame, shape_mask(event.thing.shape, radius + 1), OUTLINE, *centre)
        _paste(frame, shape_mask(event.thing.shape, radius), COLOURS[event.thing.colour], *centre)
    title = title_at(timeline, t) if titles else None
    if title:
        frame = _draw_text(frame, title)
    return frame


def _draw_text(frame: np.ndarray, text: str) -> np.ndarray:
    from PIL import Image, ImageDraw

    image = Image.fromarray(frame)
    ImageDraw.Draw(image).text((4, 2), text.upper(), fill=(255, 255, 255))
    return np.asarray(image)


def _paste(frame: np.ndarray, mask: np.ndarray, colour, cx: int, cy: int) -> None:
    radius = mask.shape[0] // 2
    side = frame.shape[0]
    top, left = cy - radius, cx - radius
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + mask.shape[0], side), min(left + mask.shape[1], side)
    if y0 >= y1 or x0 >= x1:
        return
    part = mask[y0 - top : y1 - top, x0 - left : x1 - left]
    frame[y0:y1, x0:x1][part] = colour
