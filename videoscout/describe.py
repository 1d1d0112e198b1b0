"""Captions of a stretch of video, and answers to questions about its frames."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from . import render
from .errors import InvalidTimeError, UsageError
from .models.captioner import Captioner, Decoding
from .retrieval.captions import CaptionStore
from .timefmt import format_time
from .video import fit_short_side, frame_at, open_source
from .video.sampling import slice_centres

if TYPE_CHECKING:
    from .api import Video

DEFAULT_FRAMES = 8
MAX_FRAMES = 10_000
SUMMARY_TOKENS = 96  # a summary is asked for in two or three sentences


@dataclass(frozen=True)
class Caption:
    time: float  # the captioned frame's timestamp, seconds
    text: str


@dataclass(frozen=True)
class Description:
    """What a stretch of video shows: per-frame captions and, from VLMs, one summary."""

    start: float
    end: float
    captioner: str
    captions: list[Caption]
    summary: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return render.description_text(self)


@dataclass(frozen=True)
class FrameAnswer:
    """The answer to a question about given frames, and the frames it came from; ``per_frame``
    when frames were asked one by one."""

    question: str
    answer: str
    times: list[float]
    captioner: str
    per_frame: list[str] | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return render.frame_answer_text(self)


def checked_range(start: float | None, end: float | None, duration: float) -> tuple[float, float]:
    """[start, end] within the video; missing ends mean the video's."""
    start = 0.0 if start is None else float(start)
    end = duration if end is None else float(end)
    valid = f"the video runs 0:00-{format_time(duration)}"
    if not (math.isfinite(start) and math.isfinite(end)):
        raise InvalidTimeError(f"range {start}-{end} is not a pair of times; {valid}")
    if start < 0 or start >= duration:
        raise InvalidTimeError(f"range start {format_time(start)} is outside the video; {valid}")
    if end <= start:
        raise InvalidTimeError(
            f"empty range {format_time(start)}-{format_time(end)}: the end must come after the "
            f"start; {valid}"
        )
    return start, min(end, duration)


def checked_times(times: Sequence[float], duration: float) -> list[float]:
    """``times`` as floats, each within the video."""
    times = [float(t) for t in times]
    for t in times:
        if not (math.isfinite(t) and 0 <= t <= duration):
            raise InvalidTimeError(
                f"time {format_time(t) if math.isfinite(t) else t} is outside the video; it "
                f"runs 0:00-{format_time(duration)}"
            )
    return times


def sample_times(start: float, end: float, every: float | None, frames: int | None) -> list[float]:
    """Every ``every`` seconds from ``start``, or ``frames`` times centred in equal slices."""
    if every is not None and frames is not None:
        raise UsageError("give either a caption interval or a number of frames, not both")
    if every is not None:
        if not (math.isfinite(every) and every > 0):
            raise UsageError(f"caption interval must be a positive time, got {every}")
        times = np.arange(start, end, every)
    else:
        n = DEFAULT_FRAMES if frames is None else frames
        if n < 1:
            raise UsageError(f"number of frames must be at least 1, got {n}")
        times = slice_centres(start, end, n)
    if len(times) > MAX_FRAMES:
        raise UsageError(
            f"{len(times)} frames is too many (at most {MAX_FRAMES}); caption less often or a "
            f"shorter range"
        )
    return [float(t) for t in times]


def checked_question(question: str) -> str:
    if not question or not question.strip():
        raise UsageError("the question is empty; ask something about the frames")
    return question.strip()


def majority(answers: list[str]) -> str:
    """The most common answer; the earliest wins a tie."""
    counts = Counter(answers)
    return max(answers, key=lambda a: (counts[a], -answers.index(a)))


def describe_range(
    video: Video,
    model: Captioner,
    start: float,
    end: float,
    times: Sequence[float],
    decoding: Decoding,
) -> Description:
    """Captions of the frames on screen at ``times``: cached ones are read, the rest decoded
    and captioned a batch at a time and saved as they come (an interrupted run keeps them)."""
    params = model.cache_params(decoding)
    if video.info.rotation:
        # Captions cached before rotation was applied described sideways frames.
        params = {**params, "rotation": video.info.rotation}
    store = CaptionStore(video.cache, video.fingerprint, model.identity, params)
    known = store.load()
    with _source_for(video, model) as source:
        indices = np.unique(frame_at(source.timestamps, times))
        stamps = [_stamp(source.timestamps[i]) for i in indices]
        todo = [i for i, t in zip(indices, stamps, strict=True) if t not in known]
        if todo:
            store.ensure_writable()
        for first in range(0, len(todo), model.batch_size):
            batch = source.get_frames(todo[first : first + model.batch_size])
            texts = model.caption(batch.images, decoding)
            fresh = {_stamp(t): text for t, text in zip(batch.timestamps, texts, strict=True)}
            store.add(fresh)
            known.update(fresh)
        summary = None
        if model.multi_frame:
            picked = _spread(indices, model.max_frames)
            batch = source.get_frames(picked)
            longer = replace(decoding, max_new_tokens=max(decoding.max_new_tokens, SUMMARY_TOKENS))
            summary = model.describe(batch.images, [_stamp(t) for t in batch.timestamps], longer)
    captions = [Caption(t, known[t]) for t in stamps]
    return Description(start, end, model.spec, captions, summary)


def answer_question(
    video: Video, model: Captioner, question: str, times: Sequence[float], decoding: Decoding
) -> FrameAnswer:
    """Multi-frame models see the frames together (at most ``max_frames``, spread evenly);
    the others answer per frame and the most common answer wins."""
    with _source_for(video, model) as source:
        indices = np.unique(frame_at(source.timestamps, times))
        if model.multi_frame:
            indices = _spread(indices, model.max_frames)
        batch = source.get_frames(indices)
    looked = [_stamp(t) for t in batch.timestamps]
    if model.multi_frame:
        return FrameAnswer(
            question, model.answer(batch.images, question, decoding), looked, model.spec
        )
    each = model.answer_each(batch.images, question, decoding)
    return FrameAnswer(question, majority(each), looked, model.spec, each)


@contextmanager
def _source_for(video: Video, model: Captioner):
    """The video's frames at the captioner's input size (native, at most 512, without one)."""
    info = video.info
    side = min(model.image_size or 512, info.width, info.height)
    size = fit_short_side(info.width, info.height, side)
    with open_source(video.path, size=size, backend=video.backend, info=info) as source:
        yield source


def _spread(indices: np.ndarray, limit: int | None) -> np.ndarray:
    if limit is None or len(indices) <= limit:
        return indices
    return indices[np.linspace(0, len(indices) - 1, limit).round().astype(int)]


def _stamp(seconds: float) -> float:
    return round(float(seconds), 4)
