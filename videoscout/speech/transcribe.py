"""A video's transcript: from the cache, or decoded and recognised chunk by chunk."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from ..video.probe import check_path
from .audio import CHUNK_SECONDS, SAMPLE_RATE, audio_info, iter_chunks
from .cache import TranscriptCache
from .engines import get_asr
from .transcript import Transcript

Progress = Callable[[float, float], None]  # (seconds done, seconds in all)


def transcribe(
    video: str | Path,
    asr: str | None = None,
    *,
    cache_dir: str | Path | None = None,
    chunk_seconds: float = CHUNK_SECONDS,
    force: bool = False,
    progress: Progress | None = None,
    video_fp: str | None = None,
) -> Transcript:
    """What is said in ``video``, by the ASR engine ``asr`` (``$VIDEOSCOUT_ASR`` or
    ``sphinx:en-us``). Cached: a second call costs a file read, and a call after an interrupted
    one transcribes only what was left. ``force`` transcribes everything again. ``video_fp`` is
    the file's cache fingerprint when the caller has it (``Video`` does).

    Raises ``NoAudioError`` for a video without an audio track; silence gives a transcript with
    no segments.
    """
    path = check_path(video)
    info = audio_info(path)  # no audio track: fail before loading an engine
    recognizer = get_asr(asr)
    cache = TranscriptCache(cache_dir)
    video_fp = video_fp or cache.fingerprint(path)
    params = {"chunk_seconds": chunk_seconds, "sample_rate": SAMPLE_RATE}
    key = cache.key(recognizer.identity, params)
    if not force:
        cached = cache.load(video_fp, key)
        if cached is not None:
            return cached
    cache.ensure_writable()
    finished = {} if force else cache.load_chunks(video_fp, key)
    segments = []
    resumed = 0
    began = time.perf_counter()
    end = 0.0
    for chunk in iter_chunks(path, chunk_seconds):
        saved = finished.get(chunk.index)
        if saved and _same_span(saved, chunk.start, chunk.end):
            resumed += 1
            chunk_segments = saved[2]
        else:
            chunk_segments = recognizer.transcribe(chunk.samples, chunk.start)
            cache.save_chunk(video_fp, key, chunk.index, chunk.start, chunk.end, chunk_segments)
        segments += chunk_segments
        end = chunk.end
        if progress is not None:
            progress(end, max(end, info.duration))
    transcript = Transcript(
        tuple(segments),
        recognizer.spec,
        round(end, 3),
        {
            "identity": recognizer.identity,
            "fingerprint": video_fp,
            "key": key,
            **params,
            "chunks_resumed": resumed,
            "seconds": round(time.perf_counter() - began, 3),
        },
    )
    cache.save(video_fp, key, transcript)
    return transcript


def _same_span(saved: tuple, start: float, end: float) -> bool:
    """A saved chunk counts only where it covers the same samples (same audio, same cuts)."""
    return abs(saved[0] - start) < 1e-6 and abs(saved[1] - end) < 1e-6
