"""videoscout: chat with long videos and search them in plain language."""

from .api import Video, ask, open_video, search
from .describe import Answer, Caption, Description
from .errors import VideoscoutError
from .retrieval import Moment
from .version import __version__
from .video import Sampling, VideoInfo

__all__ = [
    "Answer",
    "Caption",
    "Description",
    "Moment",
    "Sampling",
    "Video",
    "VideoInfo",
    "VideoscoutError",
    "__version__",
    "ask",
    "open_video",
    "search",
]
