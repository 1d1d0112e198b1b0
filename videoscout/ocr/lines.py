"""What OCR reads: lines of text with their box and confidence, per frame."""

from __future__ import annotations

from dataclasses import dataclass

Box = tuple[float, float, float, float]  # left, top, right, bottom in video pixels


@dataclass(frozen=True)
class OcrLine:
    """One line of text found in one picture."""

    text: str
    box: Box
    confidence: float  # 0-1, the engine's own

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "box": [round(v, 1) for v in self.box],
            "confidence": round(self.confidence, 4),
        }

    @classmethod
    def from_dict(cls, data: dict) -> OcrLine:
        return cls(data["text"], tuple(float(v) for v in data["box"]), float(data["confidence"]))

    def scaled(self, sx: float, sy: float) -> OcrLine:
        """The same line with its box in a picture ``sx`` times wider and ``sy`` times taller."""
        left, top, right, bottom = self.box
        return OcrLine(self.text, (left * sx, top * sy, right * sx, bottom * sy), self.confidence)


@dataclass(frozen=True)
class FrameText:
    """Every line read in the frame shown at ``time`` (none: the frame was read, and is blank)."""

    time: float
    index: int  # frame position in presentation order
    lines: tuple[OcrLine, ...]

    def to_dict(self) -> dict:
        return {
            "time": round(self.time, 4),
            "index": self.index,
            "lines": [line.to_dict() for line in self.lines],
        }

    @classmethod
    def from_dict(cls, data: dict) -> FrameText:
        lines = tuple(OcrLine.from_dict(line) for line in data["lines"])
        return cls(float(data["time"]), int(data["index"]), lines)


def bounding_box(points) -> Box:
    """The upright box around a polygon's ``(x, y)`` points."""
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    return min(xs), min(ys), max(xs), max(ys)
