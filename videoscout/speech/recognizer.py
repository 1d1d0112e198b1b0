"""The interface every speech recognizer (ASR engine) implements."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from .transcript import Segment


class SpeechRecognizer(ABC):
    """Turns 16 kHz mono float32 samples into timed segments.

    ``identity`` names everything that changes the output (engine, model files, settings): it
    keys the transcript cache, so two recognizers with one identity must agree.
    """

    spec: str
    identity: str

    @abstractmethod
    def transcribe(self, samples: np.ndarray, offset: float) -> list[Segment]:
        """Segments heard in ``samples``, timed from ``offset`` seconds (the samples' start in
        the video); ``[]`` for silence."""
