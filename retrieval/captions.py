"""Captions cached beside a video's indexes, and plain-text search over them.

One JSON file per (video, captioner, decoding): frame time -> caption. Captions accumulate as
different stretches are described, so describing a range twice costs nothing the second time.
"""

from __future__ import annotations

import fcntl
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from .cache import IndexCache, ensure_writable, entry_key, save_error, write_json_atomic

_WORD = re.compile(r"[a-z0-9]+")
# Words that say nothing about what is on screen.
_STOP = frozenset(
    "a an the of in on at to and or is are with this that there it its by".split()  # noqa: SIM905
)


@dataclass(frozen=True)
class CaptionHit:
    """A cached caption that matches a text query; ``score`` is the share of query words in it."""

    time: float
    text: str
    score: float
    captioner: str

    def to_dict(self) -> dict:
        return asdict(self)


class CaptionStore:
    """The cached captions of one video by one captioner with one decoding."""

    def __init__(self, cache: IndexCache, video_fp: str, captioner: str, params: dict) -> None:
        self.root = cache.root
        self.folder = cache.root / "captions" / video_fp
        self.path = self.folder / f"{entry_key({'captioner': captioner, **params})}.json"
        self.header = {"captioner": captioner, **params}

    def ensure_writable(self) -> None:
        """Fail before any frame is decoded or captioned if captions could not be saved."""
        ensure_writable(self.folder, self.root, "captions")

    def load(self) -> dict[float, str]:
        return {float(t): text for t, text in _read(self.path).get("captions", {}).items()}

    def add(self, captions: dict[float, str]) -> None:
        """Merge ``captions`` into the file: under a lock, so that parallel captioning loses
        nothing, and written whole to a temp file, then renamed."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(self.folder / ".lock", "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                merged = {**self.load(), **captions}
                captions_json = {f"{t:.4f}": merged[t] for t in sorted(merged)}
                write_json_atomic(self.path, {**self.header, "captions": captions_json})
        except OSError as exc:
            raise save_error("captions", self.folder, exc) from exc


def search_captions(cache: IndexCache, video_fp: str, query: str, k: int = 5) -> list[CaptionHit]:
    """Cached captions (any captioner) containing the query's words, best first."""
    wanted = _words(query)
    if not wanted:
        return []
    hits = []
    for path in sorted((cache.root / "captions" / video_fp).glob("*.json")):
        data = _read(path)
        for t, text in data.get("captions", {}).items():
            score = len(wanted & _words(text)) / len(wanted)
            if score > 0:
                hits.append(CaptionHit(float(t), text, score, data.get("captioner", "?")))
    hits.sort(key=lambda h: (-h.score, h.time))
    return hits[:k]


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def _read(path: Path) -> dict:
    """A cache file's contents; a missing or damaged file reads as empty (and is rewritten)."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
