"""Which stream of a container is the video, and what its packets say, read with PyAV.

Shared by the probe and the PyAV source so that both look at the same stream and count the
same frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

# FFmpeg's AV_DISPOSITION_ATTACHED_PIC, as a number: not every PyAV version names it.
_ATTACHED_PIC = 0x0400


def video_stream(container: av.container.InputContainer) -> av.VideoStream | None:
    """The first video stream that is not an attached picture, or None.

    Cover art (an ``.m4a``'s or ``.mp3``'s) is a video stream of one picture, flagged
    ``attached_pic``, whose single packet FFmpeg reports at a 90 kHz "frame rate"."""
    for stream in container.streams.video:
        disposition = getattr(stream, "disposition", 0)
        if not int(getattr(disposition, "value", disposition)) & _ATTACHED_PIC:
            return stream
    return None


@dataclass(frozen=True)
class Packets:
    """The video stream's packets in decode order: pts, keyframe and discard flags, duration."""

    pts: np.ndarray  # (N,) int64, in the stream's time base
    key: np.ndarray  # (N,) bool
    discard: np.ndarray  # (N,) bool: hidden by an edit list, decoded only as a reference
    durations: np.ndarray  # (N,) int64, 0 where the container gives none

    @property
    def shown(self) -> np.ndarray:
        """The pts of the frames shown, ascending: one per frame."""
        return np.unique(self.pts[~self.discard])


def read_packets(path: Path) -> Packets:
    """Demux (no decoding) every packet of ``path``'s video stream that carries a frame."""
    with av.open(str(path)) as container:
        stream = video_stream(container)
        packets = container.demux(stream) if stream is not None else ()
        rows = [
            (p.pts, p.is_keyframe, p.is_discard, p.duration or 0)
            for p in packets
            if p.pts is not None and p.size
        ]
    table = np.array(rows, dtype=np.int64).reshape(-1, 4)
    return Packets(table[:, 0], table[:, 1].astype(bool), table[:, 2].astype(bool), table[:, 3])
