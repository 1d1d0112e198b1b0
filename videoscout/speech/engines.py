"""One place that turns ASR spec strings into speech recognizers.

Spec strings::

    sphinx:en-us            pocketsphinx and its bundled US English model (default; offline)
    whisper:tiny.en         faster-whisper (optional extra) with weights from the HF cache
    whisper:/path/to/folder a converted Whisper model in a folder

``get_asr(None)`` reads ``$VIDEOSCOUT_ASR`` and falls back to ``sphinx:en-us``. Named entries
(``register_asr``) take precedence over schemes; tests register their fakes there. Resolving a
spec checks that the engine can run (package, weights) but loads nothing heavy; the same spec
returns the same instance.
"""

from __future__ import annotations

import difflib
import os
import threading
from collections.abc import Callable

from ..errors import UnknownModelError
from ..models.registry import ModelEntry
from .recognizer import SpeechRecognizer

DEFAULT_ASR = "sphinx:en-us"
ENV_VAR = "VIDEOSCOUT_ASR"
ASR_SCHEMES = {
    "sphinx": "sphinx:en-us — pocketsphinx, bundled model: offline and fast, often wrong",
    "whisper": "whisper:tiny.en|base|small|... or whisper:/path — faster-whisper (pip install "
    '"videoscout[whisper]"; weights from the Hugging Face cache)',
}
RECOMMENDED_ASR = (
    ("sphinx:en-us", "pocketsphinx, bundled US English model (default; offline)"),
    ("whisper:tiny.en", "Whisper tiny, English: fast on CPU, far better than sphinx"),
    ("whisper:base", "Whisper base, multilingual"),
    ("whisper:small", "Whisper small: better, ~4x slower"),
)

Factory = Callable[[str], SpeechRecognizer]

_NAMED: dict[str, tuple[ModelEntry, Factory]] = {}
_LOADED: dict[str, SpeechRecognizer] = {}
_LOCK = threading.Lock()


def register_asr(name: str, factory: Factory, description: str = "") -> None:
    """Make ``name`` resolve to ``factory(name)``; replaces an earlier entry."""
    with _LOCK:
        _NAMED[name] = (ModelEntry(name, "asr", description), factory)
        _LOADED.pop(name, None)


def unregister_asr(name: str) -> None:
    with _LOCK:
        _NAMED.pop(name, None)
        _LOADED.pop(name, None)


def get_asr(spec: str | None = None) -> SpeechRecognizer:
    """The recognizer for ``spec`` (``$VIDEOSCOUT_ASR``, else the default), resolved once."""
    spec = (spec or os.environ.get(ENV_VAR) or DEFAULT_ASR).strip()
    with _LOCK:
        if spec not in _LOADED:
            _LOADED[spec] = resolve_asr(spec)
        return _LOADED[spec]


def resolve_asr(spec: str) -> SpeechRecognizer:
    if spec in _NAMED:
        return _NAMED[spec][1](spec)
    scheme, sep, rest = spec.partition(":")
    if not sep or scheme not in ASR_SCHEMES:
        raise UnknownModelError(_unknown_message(spec))
    if not rest:
        raise UnknownModelError(f"ASR spec {spec!r} is missing a name after '{scheme}:'")
    if scheme == "sphinx":
        from .sphinx_engine import SphinxRecognizer

        return SphinxRecognizer(spec, rest)
    from .whisper_engine import whisper_recognizer

    return whisper_recognizer(spec, rest)


def list_asr() -> list[ModelEntry]:
    """The recommended engines and the registered ones, for `videoscout models`."""
    entries = [ModelEntry(name, "asr", text) for name, text in RECOMMENDED_ASR]
    return entries + [entry for entry, _ in _NAMED.values()]


def _unknown_message(spec: str) -> str:
    valid = [name for name, _ in RECOMMENDED_ASR] + sorted(_NAMED)
    close = difflib.get_close_matches(spec, valid, n=2, cutoff=0.6)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    return (
        f"unknown ASR engine {spec!r}{hint}. Valid: {', '.join(valid)}; or "
        f"whisper:SIZE, whisper:ORG/REPO, whisper:/path/to/folder (`videoscout models`)"
    )
