"""The Python API: ``open_video(path)`` and the one-liner ``search(path, query)``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .errors import InvalidTimeError, UsageError
from .models import DEFAULT_MODEL, get_embedder
from .retrieval import IndexCache, IndexResult, Moment, find_moments, load_or_build
from .retrieval.build import Progress
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
        sampling: Sampling | None = None,
        cache_dir: str | Path | None = None,
        backend: str | None = None,
    ) -> None:
        self.info: VideoInfo = probe(path)
        self.path = self.info.path
        self.model = model
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

    def frames_at(self, times: Sequence[float], size: tuple[int, int] | None = None) -> FrameBatch:
        """The frames on screen at ``times`` (seconds), decoded at ``size`` (width, height)."""
        for t in times:
            if not 0 <= t <= self.info.duration:
                raise InvalidTimeError(
                    f"time {t:.2f}s is outside the video (0-{self.info.duration:.2f}s)"
                )
        with open_source(self.path, size=size, backend=self.backend) as source:
            return source.get_frames(frame_at(source.timestamps, times))


def open_video(path: str | Path, **options) -> Video:
    """Open a video for search and frame access; see ``Video`` for the options."""
    return Video(path, **options)


def search(path: str | Path, query: str, k: int = 5, **options) -> list[Moment]:
    """Index ``path`` (or reuse its cached index); the ``k`` best moments for ``query``."""
    return Video(path, **options).search(query, k)
