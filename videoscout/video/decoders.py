"""How many processes decode a video for indexing: the cores left beside the encoder.

The parent process keeps one core for itself (merging, the scene filter, feeding the encoder);
each other core gets a decoder. On two cores that leaves one decoder, today's single reader:
a second decoder process would only take turns with the encoder for the same cores.
``VIDEOSCOUT_DECODERS`` overrides the choice (1 = the single reader).
"""

from __future__ import annotations

import multiprocessing
import os

from ..errors import UsageError

ENV_VAR = "VIDEOSCOUT_DECODERS"


def available_cores() -> int:
    """The CPU cores this process may run on (its affinity mask, where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def decoder_count(cores: int | None = None) -> int:
    """Decoder processes for indexing: ``$VIDEOSCOUT_DECODERS``, else one per core beside the
    encoder's; 1 on two cores or fewer, and in a daemon process (which may not start any)."""
    if multiprocessing.current_process().daemon:
        return 1
    requested = os.environ.get(ENV_VAR, "").strip()
    if requested:
        try:
            count = int(requested)
        except ValueError:
            count = 0
        if count < 1:
            raise UsageError(
                f"{ENV_VAR}={requested!r} is not a number of decoders; use a whole number >= 1 "
                f"(1 decodes in one thread)"
            )
        return count
    cores = available_cores() if cores is None else cores
    return cores - 1 if cores > 2 else 1
