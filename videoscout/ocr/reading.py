"""Reading a video's on-screen text: OCR on the frames where the picture changed, cached.

Frames come from the scene-aware sampling the index uses (``video.sampling``), tuned for text:
candidates twice a second, so a title is caught within half a second of appearing, and a lower
change threshold, so a caption changing on a still picture counts as a change. A frame the
sampling skips looks like the last one read, so its text is taken to be the same.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..retrieval.cache import fingerprint
from ..version import __version__
from ..video import Sampling, VideoInfo, open_source, probe
from .cache import TextCache
from .engines import DEFAULT_OCR, OcrEngine, get_ocr_engine
from .lines import FrameText
from .spans import SpanOptions
from .video_text import VideoText

log = logging.getLogger(__name__)

Progress = Callable[[float, float], None]  # (seconds of video done, total seconds)

#: Frames examined for text: 2 candidates a second, kept where the picture changed. max_gap only
#: guards against slow drift: an unchanged picture has unchanged text.
OCR_SAMPLING = Sampling(mode="scene", fps=2.0, threshold=3.0, max_gap=30.0)
#: Frames are decoded with their long side at most this (text needs pixels; 4K needs no more).
DECODE_MAX_SIDE = 1280
#: Progress is saved this often (seconds of work), so an interrupted read resumes near its end.
CHECKPOINT_SECONDS = 20.0
_BATCH = 16


@dataclass
class ReadStats:
    """What one read cost."""

    candidates: int = 0  # frames the sampling looked at
    frames_read: int = 0  # frames run through OCR now
    frames_resumed: int = 0  # frames whose text came from an interrupted earlier run
    ocr_seconds: float = 0.0
    total_seconds: float = 0.0

    @property
    def ocr_fps(self) -> float:
        return self.frames_read / self.ocr_seconds if self.ocr_seconds else 0.0

    def to_dict(self) -> dict:
        return {
            "candidates": self.candidates,
            "frames_read": self.frames_read,
            "frames_resumed": self.frames_resumed,
            "ocr_seconds": round(self.ocr_seconds, 3),
            "total_seconds": round(self.total_seconds, 3),
            "ocr_fps": round(self.ocr_fps, 3),
        }


def read_text(
    video: str | Path | VideoInfo,
    engine: str | OcrEngine = DEFAULT_OCR,
    *,
    sampling: Sampling | None = None,
    cache_dir: str | Path | None = None,
    video_fp: str | None = None,
    force: bool = False,
    progress: Progress | None = None,
    options: SpanOptions | None = None,
) -> VideoText:
    """The on-screen text of ``video`` as spans with times: from the cache, or read and saved.

    ``engine`` is a spec (``rapidocr``, ``tesseract[:LANG]``) or an engine. ``video_fp`` is the
    file's fingerprint when the caller has it. A video without text gives no spans, not an error.
    """
    info = video if isinstance(video, VideoInfo) else probe(video)
    ocr = engine if isinstance(engine, OcrEngine) else get_ocr_engine(engine)
    sampling = sampling or OCR_SAMPLING
    cache = TextCache(cache_dir)
    video_fp = video_fp or fingerprint(info.path)
    size = decode_size(info)
    key = cache.key({"engine": ocr.identity, "sampling": sampling.key(), "size": list(size)})
    found = None if force else cache.load(video_fp, key)
    if found is not None:
        header, frames = found
        return VideoText(info.path, ocr.spec, frames, float(header["end"]), True, options)

    cache.ensure_writable(video_fp)
    resumed = {} if force else {f.index: f for f in cache.load_partial(video_fp, key)}
    header = {
        "videoscout": __version__,
        "video": {**info.to_dict(), "fingerprint": video_fp},
        "engine": ocr.spec,
        "identity": ocr.identity,
        "sampling": sampling.key(),
        "size": list(size),
    }
    stats = ReadStats()
    started = time.perf_counter()
    frames: list[FrameText] = []
    saved_at, saved_count = started, 0
    with open_source(info.path, size=size, backend="pyav", info=info) as source:
        end = _video_end(info, source.timestamps)
        header["end"] = end
        try:
            for frame in _read_frames(source, ocr, sampling, resumed, stats, progress, end):
                frames.append(frame)
                if time.perf_counter() - saved_at > CHECKPOINT_SECONDS:
                    cache.save_partial(video_fp, key, header, frames)
                    saved_at, saved_count = time.perf_counter(), len(frames)
        except BaseException:
            if len(frames) > saved_count:
                _save_progress(cache, video_fp, key, header, frames)
            raise
    stats.total_seconds = time.perf_counter() - started
    cache.save(video_fp, key, {**header, "stats": stats.to_dict()}, frames)
    return VideoText(info.path, ocr.spec, frames, end, False, options, stats)


def _read_frames(
    source,
    ocr: OcrEngine,
    sampling: Sampling,
    resumed: dict[int, FrameText],
    stats: ReadStats,
    progress: Progress | None,
    end: float,
) -> Iterator[FrameText]:
    """The text of every frame the sampling keeps, in time order."""
    candidates = sampling.candidates(source.timestamps)
    stats.candidates = len(candidates)
    changes = sampling.new_filter()
    info = source.info
    sx, sy = info.width / source.size[0], info.height / source.size[1]
    for batch in source.iter_frames(candidates, _BATCH):
        keep = (
            changes.keep(batch.images, batch.timestamps)
            if changes is not None
            else np.ones(len(batch), bool)
        )
        for i in np.flatnonzero(keep):
            index, when = int(batch.indices[i]), float(batch.timestamps[i])
            if index in resumed:
                stats.frames_resumed += 1
                yield resumed[index]
                continue
            began = time.perf_counter()
            lines = ocr.read(batch.images[i])
            stats.ocr_seconds += time.perf_counter() - began
            stats.frames_read += 1
            yield FrameText(when, index, tuple(line.scaled(sx, sy) for line in lines))
        if progress is not None:
            progress(float(batch.timestamps[-1]), end)
    if progress is not None:
        progress(end, end)


def decode_size(info: VideoInfo) -> tuple[int, int]:
    """Native size, or scaled down to ``DECODE_MAX_SIDE`` on the long side (even numbers)."""
    scale = min(1.0, DECODE_MAX_SIDE / max(info.width, info.height))
    if scale == 1.0:
        return info.width, info.height
    return max(2, round(info.width * scale / 2) * 2), max(2, round(info.height * scale / 2) * 2)


def _save_progress(cache: TextCache, video_fp: str, key: str, header: dict, frames) -> None:
    """Best effort while another error is on its way up: that error is the one to report."""
    try:
        cache.save_partial(video_fp, key, header, frames)
    except Exception as exc:  # noqa: BLE001 - never hide the error that stopped the read
        log.warning("could not save reading progress: %s", exc)


def _video_end(info: VideoInfo, timestamps: np.ndarray) -> float:
    frame = 1.0 / float(info.fps) if info.fps else 0.0
    return max(float(info.duration), float(timestamps[-1]) + frame)
