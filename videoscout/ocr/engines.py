"""The OCR engine interface and the one place that turns engine specs into engines.

Specs::

    rapidocr          PP-OCRv4 detection + recognition through onnxruntime; models ship in the
                      rapidocr-onnxruntime wheel, so it works offline (the default)
    tesseract         the Tesseract program (Debian: `apt-get install tesseract-ocr`), English
    tesseract:LANG    the same with other languages, e.g. tesseract:deu or tesseract:eng+fra

Resolving a spec is cheap and loads no model; an engine loads on its first ``read``, and
``get_ocr_engine`` returns the same instance for the same spec. Tests register their fakes with
``register_ocr_engine``; named entries take precedence over the built-in ones.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable

import numpy as np

from ..errors import UnknownOcrEngineError
from .lines import OcrLine

DEFAULT_OCR = "rapidocr"

Factory = Callable[[str], "OcrEngine"]


class OcrEngine(ABC):
    """Reads the lines of text in one RGB picture."""

    #: The spec the engine was made from, e.g. ``tesseract:deu``.
    spec: str

    @property
    @abstractmethod
    def identity(self) -> str:
        """Everything that changes what the engine reads (package, models, settings): part of
        the cache key, so another version reads the video again instead of reusing stale text."""

    @abstractmethod
    def read(self, image: np.ndarray) -> list[OcrLine]:
        """Lines in ``image`` ((H, W, 3) uint8 RGB), boxes in its pixels, top to bottom."""


def _rapidocr(spec: str) -> OcrEngine:
    from .rapidocr_engine import RapidOcrEngine

    if spec != "rapidocr":
        raise UnknownOcrEngineError(f"rapidocr takes no options, got {spec!r}. {_choices()}")
    return RapidOcrEngine()


def _tesseract(spec: str) -> OcrEngine:
    from .tesseract_engine import TesseractEngine

    _, sep, language = spec.partition(":")
    if sep and not language:
        raise UnknownOcrEngineError(f"{spec!r} is missing a language after 'tesseract:'")
    return TesseractEngine(spec, language or "eng")


# name -> (description, factory); a spec's name is the part before any ":".
_BUILTIN: dict[str, tuple[str, Factory]] = {
    "rapidocr": ("PP-OCRv4 via onnxruntime, models bundled, offline (default)", _rapidocr),
    "tesseract": ("the Tesseract program (apt-get install tesseract-ocr); :LANG", _tesseract),
}
_NAMED: dict[str, tuple[str, Factory]] = {}
_LOADED: dict[str, OcrEngine] = {}
_LOCK = threading.Lock()


def register_ocr_engine(name: str, factory: Factory, description: str = "") -> None:
    """Make the spec ``name`` resolve to ``factory(name)``; replaces an earlier entry."""
    with _LOCK:
        _NAMED[name] = (description, factory)
        _LOADED.pop(name, None)


def unregister_ocr_engine(name: str) -> None:
    with _LOCK:
        _NAMED.pop(name, None)
        _LOADED.pop(name, None)


def get_ocr_engine(spec: str) -> OcrEngine:
    """The engine for ``spec``, made once and shared; an unknown spec raises
    ``UnknownOcrEngineError`` listing the valid ones."""
    spec = spec.strip()
    with _LOCK:
        if spec not in _LOADED:
            _LOADED[spec] = _resolve(spec)
        return _LOADED[spec]


def list_ocr_engines() -> list[tuple[str, str]]:
    """(name, description) of every engine, built-in first."""
    return [(name, text) for name, (text, _) in {**_BUILTIN, **_NAMED}.items()]


def _resolve(spec: str) -> OcrEngine:
    if spec in _NAMED:
        return _NAMED[spec][1](spec)
    name = spec.partition(":")[0]
    if name not in _BUILTIN:
        raise UnknownOcrEngineError(f"unknown OCR engine {spec!r}. {_choices()}")
    return _BUILTIN[name][1](spec)


def _choices() -> str:
    names = [*_BUILTIN, *_NAMED]
    names[names.index("tesseract")] = "tesseract[:LANG]"
    return f"Valid OCR engines: {', '.join(names)}"
