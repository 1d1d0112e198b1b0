"""Prompts from concurrent callers share one ``generate`` call.

An agent's tools run in parallel threads, and several may ask the same vision-language model
for captions or answers at once. The model runs one batch at a time anyway: whichever caller
gets it next takes the oldest waiting prompts, its own or another's, that can share a batch.
That is the same decoding options and the same number of frames, so the prompts differ only
in their text and little left padding is needed. Sampled decoding (``top_p``) batches only the
prompts of one call: its draws would otherwise depend on what other callers asked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .captioner import Decoding

#: The frames one prompt looks at, and its text.
Prompt = tuple[Sequence[np.ndarray], str]


@dataclass(eq=False)
class _Job:
    prompt: Prompt
    key: tuple
    result: str | None = None
    error: BaseException | None = None
    done: bool = False


class PromptBatcher:
    """Runs ``run(prompts, decoding) -> texts`` on batches of at most ``batch_size`` prompts
    gathered from every thread that calls ``submit``."""

    def __init__(self, run: Callable[[list[Prompt], Decoding], list[str]]) -> None:
        self._run = run
        self._waiting: list[_Job] = []
        self._queue_lock = threading.Lock()
        self._model_lock = threading.Lock()

    def submit(self, prompts: Sequence[Prompt], decoding: Decoding, batch_size: int) -> list[str]:
        """The text for each prompt, in order; returns once all of them are done."""
        call = None if decoding.method != "top_p" else object()
        jobs = [_Job(p, (decoding, len(p[0]), call)) for p in prompts]
        with self._queue_lock:
            self._waiting += jobs
        while not all(job.done for job in jobs):
            with self._model_lock:  # another caller may have run our prompts meanwhile
                batch = self._take(batch_size)
                if batch:
                    self._run_batch(batch, decoding=batch[0].key[0])
        for job in jobs:
            if job.error is not None:
                raise job.error
        return [job.result for job in jobs]  # type: ignore[misc]

    def _take(self, batch_size: int) -> list[_Job]:
        with self._queue_lock:
            if not self._waiting:
                return []
            key = self._waiting[0].key
            batch = [job for job in self._waiting if job.key == key][: max(1, batch_size)]
            taken = set(map(id, batch))
            self._waiting = [job for job in self._waiting if id(job) not in taken]
            return batch

    def _run_batch(self, batch: list[_Job], decoding: Decoding) -> None:
        try:
            texts = self._run([job.prompt for job in batch], decoding)
        except BaseException as exc:
            for job in batch:
                job.error, job.done = exc, True
            if not isinstance(exc, Exception):
                raise  # KeyboardInterrupt and friends stop this caller at once
            return
        for job, text in zip(batch, texts, strict=True):
            job.result, job.done = text, True
