"""videoscout: chat with long videos and search them in plain language."""

from .agent.answer import AgentAnswer, Citation, Step
from .api import Video, ask, look, open_video, search
from .describe import Caption, Description, FrameAnswer
from .errors import InvalidTimeError, UsageError, VideoscoutError
from .retrieval import Moment
from .version import __version__
from .video import Sampling, VideoInfo

__all__ = [
    "AgentAnswer",
    "Citation",
    "Step",
    "Caption",
    "Description",
    "FrameAnswer",
    "Moment",
    "Sampling",
    "InvalidTimeError",
    "UsageError",
    "Video",
    "VideoInfo",
    "VideoscoutError",
    "__version__",
    "ask",
    "look",
    "open_video",
    "search",
]
