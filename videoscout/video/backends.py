"""Backend selection: decord first, PyAV as the fallback for files (or platforms) decord lacks."""

from __future__ import annotations

from pathlib import Path

from ..errors import UsageError, VideoOpenError
from .probe import probe
from .source import FrameSource, VideoInfo


def _available() -> dict[str, type[FrameSource]]:
    backends: dict[str, type[FrameSource]] = {}
    try:  # decord has no wheels for some platforms (e.g. arm64 macOS)
        from .decord_source import DecordSource

        backends[DecordSource.BACKEND_NAME] = DecordSource
    except ImportError:
        pass
    from .pyav_source import PyAVSource

    backends[PyAVSource.BACKEND_NAME] = PyAVSource
    return backends


AVAILABLE_BACKENDS: dict[str, type[FrameSource]] = _available()


def open_source(
    path: str | Path,
    size: tuple[int, int] | None = None,
    backend: str | None = None,
    threads: int = 0,
    *,
    info: VideoInfo | None = None,
) -> FrameSource:
    """Open ``path`` with ``backend``, or with the first available backend that can read it.

    ``info`` is ``path``'s ``probe`` when the caller already has it: a ``Video`` probes its file
    once, not again for every frame it reads."""
    if info is None:
        info = probe(path)
    if backend is not None:
        if backend not in AVAILABLE_BACKENDS:
            valid = ", ".join(AVAILABLE_BACKENDS)
            raise UsageError(f"unknown video backend {backend!r}; available: {valid}")
        return AVAILABLE_BACKENDS[backend](info, size, threads=threads)
    failures = []
    for cls in AVAILABLE_BACKENDS.values():
        try:
            return cls(info, size, threads=threads)
        except VideoOpenError as exc:
            failures.append(str(exc))
    raise VideoOpenError("; ".join(failures))


def fit_short_side(width: int, height: int, short_side: int) -> tuple[int, int]:
    """Decode size that scales the shorter side to ``short_side`` and keeps the aspect ratio."""
    scale = short_side / min(width, height)
    # Even sizes keep chroma-subsampled scalers exact.
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)
