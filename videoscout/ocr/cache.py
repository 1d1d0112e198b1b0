"""On-screen text cached beside a video's indexes: ``<root>/text/<fingerprint>/<key>.json``.

The key hashes everything that changes what is read (engine identity, sampling, decode size).
Files are written whole to a temporary file and renamed, so a reader sees a complete file or
none. While reading, progress goes to ``<key>.partial.json`` now and then; a run stopped half-way
(Ctrl-C, a crash) starts the next one from there instead of from the first frame.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from ..retrieval.cache import (
    default_cache_dir,
    ensure_writable,
    entry_key,
    save_error,
    write_json_atomic,
)
from .lines import FrameText

log = logging.getLogger(__name__)

FORMAT = 1
WHAT = "on-screen text"  # what a failed save names


class TextCache:
    """Complete and partial OCR results of videos, keyed by (fingerprint, parameters)."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else default_cache_dir()

    @staticmethod
    def key(params: dict) -> str:
        return entry_key({"kind": "ocr", "ocr_format": FORMAT, **params})

    def path(self, video_fp: str, key: str) -> Path:
        return self.root / "text" / video_fp / f"{key}.json"

    def partial_path(self, video_fp: str, key: str) -> Path:
        return self.root / "text" / video_fp / f"{key}.partial.json"

    def load(self, video_fp: str, key: str) -> tuple[dict, list[FrameText]] | None:
        """(header, frames) of a complete entry, or ``None``; a damaged file counts as none."""
        return _read(self.path(video_fp, key))

    def load_partial(self, video_fp: str, key: str) -> list[FrameText]:
        found = _read(self.partial_path(video_fp, key))
        return found[1] if found else []

    def ensure_writable(self, video_fp: str) -> None:
        """Fail before any reading if results could not be saved."""
        ensure_writable(self.root / "text" / video_fp, self.root, WHAT)

    def save(self, video_fp: str, key: str, header: dict, frames: list[FrameText]) -> Path:
        path = self.path(video_fp, key)
        self._write(path, header, frames)
        self.partial_path(video_fp, key).unlink(missing_ok=True)
        return path

    def save_partial(self, video_fp: str, key: str, header: dict, frames: list[FrameText]) -> None:
        self._write(self.partial_path(video_fp, key), header, frames)

    @staticmethod
    def _write(path: Path, header: dict, frames: list[FrameText]) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_json_atomic(path, {**header, "frames": [f.to_dict() for f in frames]})
        except OSError as exc:
            raise save_error(WHAT, path.parent, exc) from None


def _read(path: Path) -> tuple[dict, list[FrameText]] | None:
    try:
        data = json.loads(path.read_text())
        frames = [FrameText.from_dict(f) for f in data.pop("frames")]
    except (FileNotFoundError, NotADirectoryError):  # nothing cached there
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("cached text %s is unreadable (%s); reading the video again", path, exc)
        return None
    return data, frames
