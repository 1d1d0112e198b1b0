"""Which frames to look at: uniform rate, n frames in a range, or scene-aware.

Every function returns frame indices, chosen from the container timestamps, so a sample "at 12 s"
is the frame actually on screen at 12 s, whatever the frame rate does.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np

from ..errors import InvalidTimeError, UsageError
from .source import frame_at, time_slack

SamplingMode = Literal["uniform", "scene"]


def uniform_indices(
    timestamps: np.ndarray, fps: float, start: float = 0.0, end: float | None = None
) -> np.ndarray:
    """Frames on screen at ``start``, ``start + 1/fps``, ... up to (not including) ``end``."""
    if not 0 < fps < math.inf:  # also rejects NaN
        raise UsageError(f"sampling rate must be positive and finite, got {fps}")
    # Up to the last frame even when its float timestamp reads a hair early.
    last = float(timestamps[-1] + time_slack(timestamps[-1]))
    end = last if end is None else min(end, last)
    targets = np.arange(start, end, 1.0 / fps)
    return np.unique(frame_at(timestamps, targets))


def range_indices(timestamps: np.ndarray, start: float, end: float, n: int) -> np.ndarray:
    """``n`` frames spread evenly over [start, end]: the centres of n equal slices."""
    last = float(timestamps[-1])
    if n < 1:
        raise UsageError(f"number of frames must be at least 1, got {n}")
    if not 0 <= start < end:
        raise InvalidTimeError(f"empty or reversed range {start:.2f}-{end:.2f}s")
    if start > last:
        raise InvalidTimeError(f"range starts at {start:.2f}s, after the video ends ({last:.2f}s)")
    return np.unique(frame_at(timestamps, slice_centres(start, min(end, last + 1e-9), n)))


def slice_centres(start: float, end: float, n: int) -> np.ndarray:
    """The centres of ``n`` equal slices of [start, end]."""
    return start + (np.arange(n) + 0.5) * (end - start) / n


@dataclass(frozen=True)
class Sampling:
    """How frames are picked for indexing.

    ``uniform`` takes one frame every ``1/fps`` seconds. ``scene`` looks at the same candidates
    but keeps a frame only when it differs from the last kept one (a cut, or an object that
    appears or moves), or when ``max_gap`` seconds passed without a kept frame.
    """

    mode: SamplingMode = "scene"
    fps: float = 1.0
    threshold: float = 6.0  # mean absolute difference, 0-255, on a 16x16 colour thumbnail
    max_gap: float = 10.0

    def __post_init__(self) -> None:
        if self.mode not in ("uniform", "scene"):
            raise UsageError(f"unknown sampling mode {self.mode!r}; choose 'uniform' or 'scene'")
        # Written so that NaN (which `--fps nan` parses to) fails every check.
        if not 0 < self.fps < math.inf:
            raise UsageError(f"sampling rate must be positive and finite, got {self.fps}")
        if not (self.threshold >= 0 and self.max_gap > 0):
            raise UsageError("scene threshold must be >= 0 and max gap > 0")

    def key(self) -> dict:
        """The parameters that change which frames are indexed (part of the cache key)."""
        params = asdict(self)
        if self.mode == "uniform":
            del params["threshold"], params["max_gap"]
        return params

    def candidates(self, timestamps: np.ndarray) -> np.ndarray:
        return uniform_indices(timestamps, self.fps)

    def new_filter(self) -> SceneFilter | None:
        return SceneFilter(self.threshold, self.max_gap) if self.mode == "scene" else None


class SceneFilter:
    """Keeps candidate frames that differ visibly from the last kept one.

    The signature is a 16x16 colour thumbnail, so the check costs far less than decoding. A frame
    counts as changed when the whole picture moved by ``threshold`` on average (a cut, a pan) or
    when one cell changed by four times that (a small object entering a static shot).
    """

    GRID = 16

    def __init__(self, threshold: float, max_gap: float) -> None:
        self.threshold = threshold
        self.max_gap = max_gap
        self._last: np.ndarray | None = None
        self._last_time = -np.inf

    def keep(self, images: np.ndarray, timestamps: np.ndarray) -> np.ndarray:
        """Boolean mask over a batch, updating the reference as frames are kept."""
        signatures = thumbnails(images, self.GRID)
        mask = np.zeros(len(images), dtype=bool)
        for i, (sig, when) in enumerate(zip(signatures, timestamps, strict=True)):
            if self._last is None or when - self._last_time >= self.max_gap:
                changed = True
            else:
                cells = np.abs(sig - self._last).mean(axis=-1)
                changed = cells.mean() >= self.threshold or cells.max() >= 4 * self.threshold
            if changed:
                mask[i] = True
                self._last, self._last_time = sig, float(when)
        return mask


def thumbnails(images: np.ndarray, grid: int) -> np.ndarray:
    """(N, grid, grid, 3) float32 block means of (N, H, W, 3) uint8 images."""
    # A strided view first: block means of ~64 px are as good a signature and 20x cheaper.
    step = max(1, min(images.shape[1:3]) // 64)
    images = images[:, ::step, ::step]
    n, height, width, _ = images.shape
    ys = (np.arange(grid + 1) * height) // grid
    xs = (np.arange(grid + 1) * width) // grid
    # Block sums from an integral image: exact area means for any H, W.
    integral = np.zeros((n, height + 1, width + 1, 3), dtype=np.float64)
    np.cumsum(np.cumsum(images, axis=1, dtype=np.float64), axis=2, out=integral[:, 1:, 1:])
    sums = (
        integral[:, ys[1:]][:, :, xs[1:]]
        - integral[:, ys[:-1]][:, :, xs[1:]]
        - integral[:, ys[1:]][:, :, xs[:-1]]
        + integral[:, ys[:-1]][:, :, xs[:-1]]
    )
    areas = np.outer(np.diff(ys), np.diff(xs))[None, :, :, None]
    return (sums / areas).astype(np.float32)
