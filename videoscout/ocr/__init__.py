"""On-screen text: OCR of the frames where the picture changed, merged into timed spans.

>>> text = read_text("talk.mp4")          # doctest: +SKIP
>>> text.at(83.0)                          # doctest: +SKIP
[TextSpan(start=80.5, end=95.0, text='Results', ...)]
>>> text.find("results table")             # doctest: +SKIP
"""

from .engines import (
    DEFAULT_OCR,
    OcrEngine,
    get_ocr_engine,
    list_ocr_engines,
    register_ocr_engine,
    unregister_ocr_engine,
)
from .lines import FrameText, OcrLine
from .ranking import TextHit, find_spans
from .reading import OCR_SAMPLING, ReadStats, read_text
from .spans import SpanOptions, TextSpan, merge_spans
from .video_text import VideoText

__all__ = [
    "DEFAULT_OCR",
    "OCR_SAMPLING",
    "FrameText",
    "OcrEngine",
    "OcrLine",
    "ReadStats",
    "SpanOptions",
    "TextHit",
    "TextSpan",
    "VideoText",
    "find_spans",
    "get_ocr_engine",
    "list_ocr_engines",
    "merge_spans",
    "read_text",
    "register_ocr_engine",
    "unregister_ocr_engine",
]
