"""The Python API: ``open_video(path)`` and the one-liner ``search(path, query)``."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from .describe import (
    Answer,
    Description,
    answer_question,
    checked_question,
    checked_range,
    checked_times,
    describe_range,
    sample_times,
)
from .errors import UsageError
from .models import DEFAULT_MODEL, get_embedder
from .models.captioner import GREEDY, Decoding
from .models.registry import DEFAULT_CAPTIONER, get_captioner
from .retrieval import IndexCache, IndexResult, Moment, find_moments, fingerprint, load_or_build
from .retrieval.build import Progress
from .retrieval.captions import CaptionHit, search_captions
from .timefmt import format_time
from .video import FrameBatch, Sampling, VideoInfo, frame_at, open_source, probe


class Video:
    """One video file: its metadata, its cached indexes, search and frame access.

    >>> video = open_video("talk.mp4")                       # doctest: +SKIP
    >>> for moment in video.search("a slide with a graph"):  # doctest: +SKIP
    ...     print(moment)
    """

    def __init__(
        self,
        path: str | Path,
        *,
        model: str = DEFAULT_MODEL,
        captioner: str | None = None,
        sampling: Sampling | None = None,
        cache_dir: str | Path | None = None,
        backend: str | None = None,
    ) -> None:
        self.info: VideoInfo = probe(path)
        self.path = self.info.path
        self.model = model
        self.captioner = captioner or os.environ.get("VIDEOSCOUT_CAPTIONER") or DEFAULT_CAPTIONER
        self.sampling = sampling or Sampling()
        self.cache = IndexCache(cache_dir)
        self.backend = backend
        self._indexes: dict[tuple[str, Sampling], IndexResult] = {}

    def __repr__(self) -> str:
        return f"Video({str(self.path)!r}, duration={format_time(self.info.duration)})"

    def index(
        self,
        *,
        model: str | None = None,
        sampling: Sampling | None = None,
        force: bool = False,
        progress: Progress | None = None,
    ) -> IndexResult:
        """The frame index for ``model`` and ``sampling``: from the cache, or built once."""
        model = model or self.model
        sampling = sampling or self.sampling
        key = (model, sampling)
        if force or key not in self._indexes:
            self._indexes[key] = load_or_build(
                self.info,
                get_embedder(model),
                sampling,
                self.cache,
                backend=self.backend,
                force=force,
                progress=progress,
            )
        return self._indexes[key]

    def search(
        self,
        query: str,
        k: int = 5,
        *,
        model: str | None = None,
        progress: Progress | None = None,
    ) -> list[Moment]:
        """The ``k`` best moments for a plain-language ``query``, best first."""
        if not query or not query.strip():
            raise UsageError("the search query is empty; describe the moment to find")
        if k < 1:
            raise UsageError(f"k must be at least 1, got {k}")
        model = model or self.model
        result = self.index(model=model, progress=progress)
        vector = get_embedder(model).embed_texts([query.strip()])[0]
        return find_moments(result.index, vector, k)

    def caption(
        self,
        start: float | None = None,
        end: float | None = None,
        *,
        every: float | None = None,
        frames: int | None = None,
        captioner: str | None = None,
        decoding: Decoding = GREEDY,
    ) -> Description:
        """Captions of frames in [start, end] (default: the whole video), one every ``every``
        seconds or ``frames`` spread evenly (default 8); VLMs add one summary of the range.
        Captions are cached per frame: frames captioned before are not decoded again."""
        start, end = checked_range(start, end, self.info.duration)
        times = sample_times(start, end, every, frames)
        model = get_captioner(captioner or self.captioner)
        return describe_range(self, model, start, end, times, decoding)

    def ask(
        self,
        question: str,
        *,
        at: Sequence[float] | None = None,
        start: float | None = None,
        end: float | None = None,
        frames: int = 4,
        captioner: str | None = None,
        decoding: Decoding = GREEDY,
    ) -> Answer:
        """Answer ``question`` from the frames at times ``at``, or ``frames`` frames spread
        over [start, end]. Models that see one frame at a time answer per frame; the most
        common answer wins."""
        question = checked_question(question)
        if at is not None and (start is not None or end is not None):
            raise UsageError("give either times to look at or a range, not both")
        if at is not None:
            if not at:
                raise UsageError("no times given; pass one or more, e.g. --at 1:23,1:40")
            times = checked_times(at, self.info.duration)
        elif start is not None or end is not None:
            start, end = checked_range(start, end, self.info.duration)
            times = sample_times(start, end, None, frames)
        else:
            raise UsageError(
                "say where to look: times of frames (e.g. 1:23 and 1:40) or a range (a start "
                "and an end)"
            )
        return answer_question(
            self, get_captioner(captioner or self.captioner), question, times, decoding
        )

    def search_captions(self, query: str, k: int = 5) -> list[CaptionHit]:
        """Captions cached for this video (by ``caption``) that contain the query's words."""
        if not query or not query.strip():
            raise UsageError("the search query is empty; describe the moment to find")
        if k < 1:
            raise UsageError(f"k must be at least 1, got {k}")
        return search_captions(self.cache, fingerprint(self.path), query, k)

    def frames_at(self, times: Sequence[float], size: tuple[int, int] | None = None) -> FrameBatch:
        """The frames on screen at ``times`` (seconds), decoded at ``size`` (width, height)."""
        times = checked_times(times, self.info.duration)
        with open_source(self.path, size=size, backend=self.backend) as source:
            return source.get_frames(frame_at(source.timestamps, times))


def open_video(path: str | Path, **options) -> Video:
    """Open a video for search and frame access; see ``Video`` for the options."""
    return Video(path, **options)


def search(path: str | Path, query: str, k: int = 5, **options) -> list[Moment]:
    """Index ``path`` (or reuse its cached index); the ``k`` best moments for ``query``."""
    return Video(path, **options).search(query, k)


def ask(path: str | Path, question: str, **options) -> Answer:
    """Answer ``question`` about ``path``; ``options`` are ``Video.ask``'s (``at``, ``start``,
    ``end``, ``frames``, ``captioner``, ``decoding``)."""
    captioner = options.pop("captioner", None)
    return Video(path, captioner=captioner).ask(question, **options)
