"""User-facing exceptions.

Every error a user can cause (a bad path, an unknown model, a full disk) is one of these. Each
message says what went wrong and how to fix it, on one line, so the CLI can print it as is.
Programming errors are not wrapped: they propagate with their traceback.
"""

from __future__ import annotations


class VideoscoutError(Exception):
    """Base class for errors shown to the user as a one-line message."""

    exit_code = 1


class UsageError(VideoscoutError, ValueError):
    """An argument is malformed or out of range."""

    exit_code = 2


class VideoNotFoundError(VideoscoutError, FileNotFoundError):
    """The video path does not exist or is not a file."""

    def __init__(self, path: object) -> None:
        super().__init__(f"video not found: {path} (check the path; it must be a file)")
        self.path = path


class VideoOpenError(VideoscoutError):
    """The file exists but no backend can read it as a video."""


class VideoDecodeError(VideoscoutError):
    """The container opened but its frames could not be decoded (truncated or corrupt file)."""


class InvalidTimeError(UsageError):
    """A timestamp or range is outside the video or malformed."""


class UnknownModelError(VideoscoutError, KeyError):
    """A model spec string names nothing in the registry."""

    # KeyError.__str__ quotes its argument; we want the plain message.
    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class ModelNotAvailableError(VideoscoutError):
    """A known model whose checkpoint is neither cached locally nor downloadable."""


class CacheError(VideoscoutError):
    """The cache directory cannot be used."""


class ChatModelError(VideoscoutError):
    """A chat model cannot be set up or reached: a missing extra, server or model name."""


class UnknownOcrEngineError(UnknownModelError):
    """An OCR engine spec names no engine; the message lists the valid ones."""


class OcrEngineUnavailableError(ModelNotAvailableError):
    """A known OCR engine whose program or package is not installed."""


class MissingDependencyError(VideoscoutError):
    """An optional package or system library that the chosen engine needs is not installed."""


class NoAudioError(VideoscoutError):
    """The video has no audio track, so there is nothing to transcribe."""


class AudioDecodeError(VideoscoutError):
    """The audio track exists but none of it could be decoded (corrupt or unsupported)."""
