"""Speech synthesis with espeak-ng's C library, which reports where each word starts.

The ``espeak-ng`` command writes audio only; the library's synthesis callback also hands over a
WORD event per word with its sample offset, so the toy narration knows every word's time
exactly instead of guessing it from the waveform. Bound with ctypes: the Debian package
``espeak-ng`` (``libespeak-ng1``) is the only requirement.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import re
import threading
from dataclasses import dataclass

import numpy as np

from ..errors import MissingDependencyError

# Klatt synthesis at a brisk pace: the formant voices ("en-us" alone) are so unlike recorded
# speech that pocketsphinx's acoustic model loses four words in five; klatt2 at 185 wpm, one.
DEFAULT_VOICE = "en-us+klatt2"
DEFAULT_RATE = 185

_SYNCHRONOUS = 2  # AUDIO_OUTPUT_SYNCHRONOUS: audio comes back through the callback
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_RATE_PARAMETER = 1  # espeakRATE, words per minute
_WORD_EVENT = 1
_LIST_END = 0
_SILENCE_FRAME = 0.01  # seconds; a word's edges are trimmed to frames louder than this floor
_SILENCE_SHARE = 0.02  # of the utterance's peak
_WORD = re.compile(r"[\w']+")


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),  # 1-based, in characters
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),  # milliseconds
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


@dataclass(frozen=True)
class SpokenWord:
    text: str
    start: float  # seconds from the start of the utterance
    end: float


@dataclass(frozen=True)
class Utterance:
    samples: np.ndarray  # float32 mono in [-1, 1]
    sample_rate: int
    words: tuple[SpokenWord, ...]

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


class _Espeak:
    """The library, initialised once per process; espeak-ng is not re-entrant."""

    def __init__(self) -> None:
        name = ctypes.util.find_library("espeak-ng") or "libespeak-ng.so.1"
        try:
            self.lib = ctypes.CDLL(name)
        except OSError:
            raise MissingDependencyError(
                "speech synthesis needs the espeak-ng library, which is not installed: "
                "apt-get install espeak-ng (or brew install espeak-ng)"
            ) from None
        self.sample_rate = self.lib.espeak_Initialize(_SYNCHRONOUS, 0, None, 0)
        if self.sample_rate <= 0:
            raise MissingDependencyError(
                "espeak-ng could not find its data folder: reinstall espeak-ng-data"
            )
        self._audio: list[np.ndarray] = []
        self._events: list[tuple[int, int, int]] = []
        self._callback = _CALLBACK(self._receive)  # kept alive: C holds the pointer
        self.lib.espeak_SetSynthCallback(self._callback)
        self.lock = threading.Lock()

    def _receive(self, wav, count, events) -> int:
        if count > 0:
            self._audio.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        i = 0
        while events[i].type != _LIST_END:
            event = events[i]
            if event.type == _WORD_EVENT:
                self._events.append((event.text_position, event.length, event.sample))
            i += 1
        return 0

    def speak(self, text: str, voice: str, rate: int) -> Utterance:
        with self.lock:
            self._audio, self._events = [], []
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise MissingDependencyError(
                    f"espeak-ng has no voice {voice!r}: list them with `espeak-ng --voices`"
                )
            self.lib.espeak_SetParameter(_RATE_PARAMETER, rate, 0)
            data = text.encode()
            self.lib.espeak_Synth(
                data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
            )
            self.lib.espeak_Synchronize()
            audio = np.concatenate(self._audio) if self._audio else np.zeros(0, np.int16)
            events = list(self._events)
        samples = audio.astype(np.float32) / 32768.0
        return Utterance(samples, self.sample_rate, _words(data, events, samples, self.sample_rate))


def _words(
    data: bytes, events: list[tuple[int, int, int]], samples: np.ndarray, rate: int
) -> tuple[SpokenWord, ...]:
    """Each WORD event runs to the next one (or the end), its silent edges trimmed. espeak-ng
    voices some unstressed words together ("on the" is one event): such words share their
    event's time in proportion to their letters."""
    frame = max(1, int(rate * _SILENCE_FRAME))
    usable = len(samples) // frame * frame
    loudness = np.abs(samples[:usable]).reshape(-1, frame).max(axis=1)
    floor = _SILENCE_SHARE * float(loudness.max()) if len(loudness) else 0.0
    text = data.decode()
    # Event positions count characters from 1.
    written = [(m.start() + 1, m.group()) for m in _WORD.finditer(text)]
    words = []
    for i, (position, _, sample) in enumerate(events):
        following = events[i + 1][0] if i + 1 < len(events) else len(text) + 1
        group = [w for p, w in written if position <= p < following or (i == 0 and p < position)]
        if not group:
            continue
        stop = events[i + 1][2] if i + 1 < len(events) else len(samples)
        first, last = sample // frame, max(sample // frame + 1, stop // frame)
        loud = np.flatnonzero(loudness[first:last] > floor)
        if len(loud):
            first, last = first + loud[0], first + loud[-1] + 1
        begin, end = first * frame / rate, min(last * frame, stop) / rate
        shares = np.cumsum([0] + [len(w) for w in group]) / sum(len(w) for w in group)
        for word, a, b in zip(group, shares[:-1], shares[1:], strict=True):
            span = end - begin
            words.append(SpokenWord(word, float(begin + a * span), float(begin + b * span)))
    return tuple(words)


_ENGINE: _Espeak | None = None
_ENGINE_LOCK = threading.Lock()


def speak(text: str, voice: str = DEFAULT_VOICE, rate: int = DEFAULT_RATE) -> Utterance:
    """``text`` spoken by espeak-ng: its samples and the time of each of its words."""
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            _ENGINE = _Espeak()
    return _ENGINE.speak(text, voice, rate)
