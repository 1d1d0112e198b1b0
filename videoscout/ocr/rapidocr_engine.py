"""The default OCR engine: PP-OCRv4 through rapidocr-onnxruntime, whose wheel ships the models."""

from __future__ import annotations

import threading
from functools import cached_property
from importlib import metadata

import numpy as np

from ..errors import OcrEngineUnavailableError
from .engines import OcrEngine
from .lines import OcrLine, bounding_box

_PACKAGE = "rapidocr-onnxruntime"
# The detector sees frames with their short side enlarged to at least this (never shrunk: frames
# arrive at most 1280 px wide). rapidocr's default, 736, made 128 px toy frames 7x slower to read
# and read shapes as glyphs; at native size it missed white titles on light backgrounds.
DETECT_MIN_SIDE = 256


class RapidOcrEngine(OcrEngine):
    spec = "rapidocr"

    def __init__(self) -> None:
        try:
            self._version = metadata.version(_PACKAGE)
        except metadata.PackageNotFoundError:
            raise _missing() from None
        self._lock = threading.Lock()  # one onnxruntime session pair, not meant for threads

    @property
    def identity(self) -> str:
        # The orientation classifier is off: video text is upright, and it only cost time.
        return f"rapidocr:{self._version}/det-min{DETECT_MIN_SIDE}/no-cls"

    @cached_property
    def _ocr(self):
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError:
            raise _missing() from None
        return RapidOCR(det_limit_side_len=DETECT_MIN_SIDE, det_limit_type="min", use_cls=False)

    def read(self, image: np.ndarray) -> list[OcrLine]:
        # rapidocr takes arrays as OpenCV's BGR.
        bgr = np.ascontiguousarray(image[:, :, ::-1])
        with self._lock:
            found, _ = self._ocr(bgr)
        return [
            OcrLine(str(text), bounding_box(points), float(score))
            for points, text, score in found or ()
            if str(text).strip()
        ]


def _missing() -> OcrEngineUnavailableError:
    return OcrEngineUnavailableError(
        f"OCR engine 'rapidocr' needs the {_PACKAGE} package, which is not installed; "
        f"install it with `pip install {_PACKAGE}`, or choose --ocr tesseract"
    )
