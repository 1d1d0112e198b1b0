"""The toy world: synthetic videos with known content and ground truth, for offline proof that
search, captions and answers are right."""

from .generate import generate, truth_path
from .world import make_timeline

__all__ = ["generate", "make_timeline", "truth_path"]
