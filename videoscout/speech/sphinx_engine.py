"""``sphinx:en-us``: pocketsphinx with the US English model bundled in its wheel.

Works offline on any CPU and is quick, but its acoustic model is from the 2000s: expect many
wrong words on real recordings. Each chunk is first split into utterances by pocketsphinx's
voice activity detector, and each utterance decoded on its own: the language model then sees
sentence-sized pieces, and silence costs nothing.
"""

from __future__ import annotations

import threading
from importlib import metadata

import numpy as np

from ..errors import MissingDependencyError, UnknownModelError
from .recognizer import SpeechRecognizer
from .transcript import Segment, Word, segments_from_words

LANGUAGES = ("en-us",)


class SphinxRecognizer(SpeechRecognizer):
    def __init__(self, spec: str, language: str) -> None:
        if language not in LANGUAGES:
            valid = ", ".join(f"sphinx:{name}" for name in LANGUAGES)
            raise UnknownModelError(
                f"pocketsphinx has no bundled model {language!r} in {spec!r}; valid: {valid}"
            )
        try:
            version = metadata.version("pocketsphinx")
        except metadata.PackageNotFoundError:
            raise MissingDependencyError(
                f"ASR engine {spec!r} needs pocketsphinx, which is not installed: "
                f"pip install pocketsphinx"
            ) from None
        self.spec = spec
        self.identity = f"{spec}@pocketsphinx-{version}/vad-utterances"
        self._decoder = None
        self._lock = threading.Lock()  # one decoder, one utterance at a time

    def transcribe(self, samples: np.ndarray, offset: float) -> list[Segment]:
        from pocketsphinx import Endpointer

        pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)
        words: list[Word] = []
        with self._lock:
            endpointer = Endpointer()
            step = endpointer.frame_bytes // 2
            speech: list[bytes] = []
            start = 0.0
            for i in range(0, len(pcm) // step * step, step):
                out = endpointer.process(pcm[i : i + step].tobytes())
                if out is not None:
                    if not speech:
                        start = endpointer.speech_start
                    speech.append(out)
                if speech and not endpointer.in_speech:
                    words += self._decode(b"".join(speech), offset + start)
                    speech = []
            rest = pcm[len(pcm) // step * step :]
            out = endpointer.end_stream(rest.tobytes()) if len(rest) else None
            if out is not None:
                if not speech:
                    start = endpointer.speech_start
                speech.append(out)
            if speech:
                words += self._decode(b"".join(speech), offset + start)
        return segments_from_words(words)

    def _decode(self, pcm: bytes, offset: float) -> list[Word]:
        decoder = self._load()
        decoder.start_utt()
        decoder.process_raw(pcm, False, True)
        decoder.end_utt()
        rate = float(decoder.config["frate"])
        words = []
        for seg in decoder.seg():
            if seg.word.startswith(("<", "[")):  # <s>, </s>, <sil>, [NOISE]
                continue
            words.append(
                Word(
                    seg.word.split("(")[0],  # "the(2)": the dictionary's second pronunciation
                    round(offset + seg.start_frame / rate, 3),
                    round(offset + (seg.end_frame + 1) / rate, 3),
                    round(min(1.0, seg.prob), 3),  # a posterior, already linear
                )
            )
        return words

    def _load(self):
        if self._decoder is None:
            from pocketsphinx import Decoder

            # The default configuration is the bundled en-us model.
            self._decoder = Decoder(loglevel="ERROR")
        return self._decoder
