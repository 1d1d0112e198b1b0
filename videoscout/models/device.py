"""Device and dtype choice: CUDA when present, else CPU; overridable with VIDEOSCOUT_DEVICE."""

from __future__ import annotations

import os

import torch

from ..errors import UsageError


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
    # Half precision halves memory and doubles throughput on GPUs; on CPUs it is slower.
    return torch.float16 if device.type == "cuda" else torch.float32
