"""Reading frames from video files with true, container-given timestamps."""

from .backends import AVAILABLE_BACKENDS, fit_short_side, open_source
from .probe import probe
from .sampling import Sampling
from .source import FrameBatch, FrameSource, VideoInfo, frame_at

__all__ = [
    "AVAILABLE_BACKENDS",
    "FrameBatch",
    "FrameSource",
    "Sampling",
    "VideoInfo",
    "fit_short_side",
    "frame_at",
    "open_source",
    "probe",
]
