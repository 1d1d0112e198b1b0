"""Device and dtype choice: CUDA when present, else CPU; bfloat16 where the CPU multiplies it
natively. Overridable with VIDEOSCOUT_DEVICE and VIDEOSCOUT_DTYPE."""

from __future__ import annotations

import os

import torch

from ..errors import UsageError

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def pick_device() -> torch.device:
    requested = os.environ.get("VIDEOSCOUT_DEVICE")
    if requested:
        try:
            device = torch.device(requested)
        except RuntimeError:
            raise UsageError(
                f"VIDEOSCOUT_DEVICE={requested!r} is not a torch device; use cpu, cuda or cuda:N"
            ) from None
        if device.type == "cuda" and not torch.cuda.is_available():
            raise UsageError(f"VIDEOSCOUT_DEVICE={requested!r} but CUDA is not available; use cpu")
        return device
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def pick_dtype(device: torch.device) -> torch.dtype:
    requested = os.environ.get("VIDEOSCOUT_DTYPE")
    if requested:
        if requested not in DTYPES:
            raise UsageError(
                f"VIDEOSCOUT_DTYPE={requested!r} is not a supported dtype; use one of "
                f"{', '.join(DTYPES)}"
            )
        if requested == "float16" and device.type != "cuda":
            raise UsageError(
                "VIDEOSCOUT_DTYPE=float16 needs CUDA; on a CPU use bfloat16 or float32"
            )
        return DTYPES[requested]
    # Half precision halves memory and doubles throughput on GPUs. On CPUs, bfloat16 is 2.5-4x
    # faster where the hardware multiplies it (AMX, AVX512-BF16; embeddings agree with float32
    # to a cosine of 0.9999, see bench/precision.py) and much slower where it is emulated.
    if device.type == "cuda":
        return torch.float16
    return torch.bfloat16 if cpu_has_native_bf16() else torch.float32


def cpu_has_native_bf16() -> bool:
    probes = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in probes)


class EncoderThreads:
    """torch's CPU threads while a decoder thread shares the cores with the encoder.

    When decoding is the slower half (the encoder finds no batch waiting), torch gives one core
    to the decoder: two threads taking turns on one core slow every parallel op to the pace of
    the thread that shares it. When encoding is the slower half, torch gets every core back.
    Indexing the first 150 s of Big Buck Bunny in bfloat16 on 2 cores took 16-19 s instead of
    20-22 s; in float32, where encoding is the slower half, it keeps both threads.
    """

    def __init__(self) -> None:
        self.full = torch.get_num_threads()

    def balance(self, queued: int, capacity: int) -> None:
        """Called before each batch: ``queued`` batches of ``capacity`` wait for the encoder.
        None waiting means the decoder is behind, a full queue that the encoder is; in between
        the last choice stands."""
        if queued == 0:
            wanted = max(1, self.full - 1)
        elif queued >= capacity:
            wanted = self.full
        else:
            return
        if torch.get_num_threads() != wanted:
            torch.set_num_threads(wanted)

    def restore(self) -> None:
        torch.set_num_threads(self.full)
