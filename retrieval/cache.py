"""The on-disk cache of indexes: where it lives, how entries are keyed, how they are written.

Layout: ``<root>/index/<video fingerprint>/<key>/`` holding ``manifest.json`` and the data
files. An entry is built in a sibling temporary folder and renamed into place, so a reader sees
a complete entry or none; a build killed half-way, or stopped by a full disk, leaves only a
temporary folder, removed at once or by a later build.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from videoscout.errors import CacheError

if TYPE_CHECKING:
    from .sources import Source

FORMAT_VERSION = 1
_CHUNK = 1 << 18
_CHUNKS = 16
_STALE_SECONDS = 6 * 3600
_HASH_BLOCK = 1 << 20


def default_cache_dir() -> Path:
    """``$VIDEOSCOUT_CACHE_DIR``, or ``$XDG_CACHE_HOME/videoscout``, or ``~/.cache/videoscout``."""
    explicit = os.environ.get("VIDEOSCOUT_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "videoscout"


def fingerprint(path: Path) -> str:
    """A content fingerprint that costs O(1) reads whatever the file size.

    Size plus 16 evenly spaced 256 KiB chunks (first and last included): any re-encode, trim or
    re-mux changes it; renaming or copying the file does not.
    """
    size = path.stat().st_size
    digest = hashlib.blake2b(f"videoscout-fp-v1:{size}".encode(), digest_size=16)
    with path.open("rb") as handle:
        if size <= _CHUNK * _CHUNKS:
            digest.update(handle.read())
        else:
            for i in range(_CHUNKS):
                handle.seek((size - _CHUNK) * i // (_CHUNKS - 1))
                digest.update(handle.read(_CHUNK))
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 of a whole file. Chosen over BLAKE2b for speed: SHA-256 runs on the SHA
    instructions of current x86 and ARM CPUs (1.5-1.9x BLAKE2b's speed here, ~0.65-1 GB/s)."""
    digest = hashlib.sha256()
    block = bytearray(_HASH_BLOCK)
    view = memoryview(block)
    with path.open("rb", buffering=0) as handle:
        while read := handle.readinto(block):
            digest.update(view[:read])
    return digest.hexdigest()


def entry_key(params: dict) -> str:
    """Stable short hash of everything that changes an index's contents."""
    text = json.dumps({"format": FORMAT_VERSION, **params}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


class IndexCache:
    """Complete entries keyed by (video fingerprint, parameter key)."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else default_cache_dir()

    def fingerprint(self, path: Path) -> str:
        """``path``'s key in this cache: its cheap fingerprint, confirmed by its full content
        whenever its size or mtime is new to the cache (see ``sources``)."""
        return self.identify(path).fingerprint

    def identify(self, path: Path) -> Source:
        from .sources import identify  # sources builds on this module

        return identify(self.root, path)

    def entry_dir(self, video_fp: str, key: str) -> Path:
        return self.root / "index" / video_fp / key

    def lookup(self, video_fp: str, key: str) -> Path | None:
        """The entry's folder if a complete one exists."""
        folder = self.entry_dir(video_fp, key)
        return folder if (folder / "manifest.json").is_file() else None

    def ensure_writable(self) -> None:
        """Fail before any decoding if entries could not be saved."""
        ensure_writable(self.root / "index", self.root, "the index")

    def publish(self, video_fp: str, key: str, write: Callable[[Path], None]) -> Path:
        """Fill a staging folder with ``write(folder)``, then rename it into place. Whatever
        stops the write (a full disk, Ctrl-C) leaves no entry and no staging folder behind."""
        try:
            staging = self.staging_dir(video_fp, key)
        except OSError as exc:
            raise save_error("the index", self.entry_dir(video_fp, key).parent, exc) from exc
        try:
            write(staging)
            return self.commit(staging, video_fp, key)
        except OSError as exc:
            self.discard(staging)
            raise save_error("the index", staging.parent, exc) from exc
        except BaseException:
            self.discard(staging)
            raise

    def remove(self, folder: Path) -> None:
        """Take an entry away: renamed out of sight first, so no reader sees it half-deleted."""
        doomed = folder.with_name(f".{folder.name}.tmp-{os.getpid()}-removed")
        try:
            os.replace(folder, doomed)
        except OSError:
            doomed = folder
        shutil.rmtree(doomed, ignore_errors=True)

    def staging_dir(self, video_fp: str, key: str) -> Path:
        """A fresh temporary folder beside the final entry, to fill and then ``commit``."""
        parent = self.entry_dir(video_fp, key).parent
        parent.mkdir(parents=True, exist_ok=True)
        self._remove_stale(parent)
        return Path(tempfile.mkdtemp(dir=parent, prefix=f".{key}.tmp-{os.getpid()}-"))

    def commit(self, staging: Path, video_fp: str, key: str) -> Path:
        """Atomically publish a filled staging folder (a concurrent twin may win; that is fine)."""
        final = self.entry_dir(video_fp, key)
        try:
            os.replace(staging, final)
        except OSError:
            if self.lookup(video_fp, key) is None:
                # A broken folder in the way (not from us: ours only appear complete).
                shutil.rmtree(final, ignore_errors=True)
                os.replace(staging, final)
            else:
                shutil.rmtree(staging, ignore_errors=True)
        return final

    def discard(self, staging: Path) -> None:
        shutil.rmtree(staging, ignore_errors=True)

    @staticmethod
    def _remove_stale(parent: Path) -> None:
        """Remove staging folders of builds that died (their process is gone) or are ancient."""
        now = time.time()
        for leftover in parent.glob(".*.tmp-*"):
            pid = leftover.name.split(".tmp-", 1)[1].split("-", 1)[0]
            try:
                dead = pid.isdigit() and not _alive(int(pid))
                if dead or now - leftover.stat().st_mtime > _STALE_SECONDS:
                    shutil.rmtree(leftover, ignore_errors=True)
            except OSError:
                pass


def ensure_writable(folder: Path, root: Path, what: str) -> None:
    """Create ``folder`` and a file in it, or raise a ``CacheError`` naming ``root`` (the folder
    the user chose): the proof, before any long work, that its results can be saved."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".probe-"):
            pass
    except OSError as exc:
        raise CacheError(
            f"cannot save {what}: cache directory {root} is not writable "
            f"({exc.strerror or exc}); pass --cache-dir DIR or set VIDEOSCOUT_CACHE_DIR to a "
            f"writable directory"
        ) from None


def save_error(what: str, folder: Path, exc: OSError) -> CacheError:
    """The one-line error for a failed write of ``what`` into ``folder``."""
    if _disk_full(exc):
        return CacheError(
            f"cannot save {what} in {folder}: no space left on the device; free some space, or "
            f"pass --cache-dir DIR or set VIDEOSCOUT_CACHE_DIR to a directory on another disk"
        )
    return CacheError(
        f"cannot save {what} in {folder}: {exc.strerror or exc}; make it writable, or pass "
        f"--cache-dir DIR or set VIDEOSCOUT_CACHE_DIR to a writable directory"
    )


def _disk_full(exc: OSError) -> bool:
    # numpy reports a short write as "32000 requested and 16352 written", without an errno: on
    # a local disk, a full one.
    return exc.errno in (errno.ENOSPC, errno.EDQUOT) or (
        exc.errno is None and str(exc).endswith(" written")
    )


def write_json_atomic(path: Path, data: dict) -> None:
    """Write JSON through a temporary file in the same folder, then rename over ``path``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
