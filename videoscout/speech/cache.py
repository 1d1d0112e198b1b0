"""Transcripts cached beside a video's indexes: computed once, resumed when interrupted.

Layout, under the index cache's root (``$VIDEOSCOUT_CACHE_DIR``)::

    speech/<video fingerprint>/<key>.json            a finished transcript
    speech/<video fingerprint>/.<key>.partial/N.json the chunks finished so far

The key hashes the engine's identity and the chunking. Every file is written to a temporary
name and renamed, so a reader sees a whole file or none; a run stopped half-way keeps its
finished chunks, and the next run transcribes only the rest. A damaged file reads as missing
and is computed again.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from ..retrieval.cache import (
    IndexCache,
    ensure_writable,
    entry_key,
    save_error,
    write_json_atomic,
)
from .transcript import Segment, Transcript

log = logging.getLogger(__name__)

FORMAT = "videoscout-transcript-1"


class TranscriptCache:
    def __init__(self, root: str | Path | None = None) -> None:
        self.index_cache = IndexCache(root)
        self.root = self.index_cache.root

    def fingerprint(self, video: Path) -> str:
        """The video's key, the same one its indexes and captions are filed under."""
        return self.index_cache.fingerprint(video)

    @staticmethod
    def key(identity: str, params: dict) -> str:
        return entry_key({"transcript": FORMAT, "asr": identity, **params})

    def folder(self, video_fp: str) -> Path:
        return self.root / "speech" / video_fp

    def path(self, video_fp: str, key: str) -> Path:
        return self.folder(video_fp) / f"{key}.json"

    def partial_dir(self, video_fp: str, key: str) -> Path:
        return self.folder(video_fp) / f".{key}.partial"

    def ensure_writable(self) -> None:
        ensure_writable(self.root / "speech", self.root, "the transcript")

    def load(self, video_fp: str, key: str) -> Transcript | None:
        data = _read(self.path(video_fp, key))
        if data is None:
            return None
        try:
            return Transcript.from_dict(data)
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("cached transcript %s is unreadable (%s); transcribing again", key, exc)
            return None

    def save(self, video_fp: str, key: str, transcript: Transcript) -> None:
        """Publish the finished transcript, then drop its chunks."""
        folder = self.folder(video_fp)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            write_json_atomic(self.path(video_fp, key), {"format": FORMAT, **transcript.to_dict()})
        except OSError as exc:
            raise save_error("the transcript", folder, exc) from None
        shutil.rmtree(self.partial_dir(video_fp, key), ignore_errors=True)

    def load_chunks(self, video_fp: str, key: str) -> dict[int, tuple[float, float, list]]:
        """Chunks an earlier, interrupted run finished: index -> (start, end, segments)."""
        chunks = {}
        for path in sorted(self.partial_dir(video_fp, key).glob("*.json")):
            data = _read(path)
            try:
                segments = [Segment.from_dict(s) for s in data["segments"]]
                chunks[int(data["index"])] = (float(data["start"]), float(data["end"]), segments)
            except (KeyError, TypeError, ValueError):
                continue  # damaged: that chunk is transcribed again
        return chunks

    def save_chunk(
        self, video_fp: str, key: str, index: int, start: float, end: float, segments: list
    ) -> None:
        folder = self.partial_dir(video_fp, key)
        record = {
            "index": index,
            "start": start,
            "end": end,
            "segments": [s.to_dict() for s in segments],
        }
        try:
            folder.mkdir(parents=True, exist_ok=True)
            write_json_atomic(folder / f"{index:06d}.json", record)
        except OSError as exc:
            if self.path(video_fp, key).is_file():
                return  # a parallel run finished the transcript and removed the chunks
            raise save_error("the transcript", folder, exc) from None


def _read(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
