"""videoscout: chat with long videos and search them in plain language."""

from .api import Video, open_video, search
from .errors import VideoscoutError
from .retrieval import Moment
from .version import __version__
from .video import Sampling, VideoInfo

__all__ = [
    "Moment",
    "Sampling",
    "Video",
    "VideoInfo",
    "VideoscoutError",
    "__version__",
    "open_video",
    "search",
]
