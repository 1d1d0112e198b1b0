"""OCR against the toy world's ground truth: are the "SCENE N" titles read, when, and merged?

    python -m videoscout.ocr.evaluate --seed 7 --seconds 300

Renders a titled toy video (or takes ``--video`` with its truth JSON beside it), reads its text
into a fresh cache (so the OCR is timed), and prints, per title, the span read and its time
errors, then title recall (read, with the right text, starting within 1 s of the truth),
how many showings came out as exactly one span, spans that match no title, and frames/s.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from ..timefmt import format_time
from .engines import DEFAULT_OCR
from .reading import OCR_SAMPLING, read_text
from .spans import TextSpan, text_key

TOLERANCE = 1.0  # seconds: the bar for a title's start


@dataclass(frozen=True)
class TitleResult:
    text: str
    start: float
    end: float
    spans: list[TextSpan]  # spans with this text overlapping the showing

    @property
    def start_error(self) -> float | None:
        return abs(self.spans[0].start - self.start) if self.spans else None

    @property
    def end_error(self) -> float | None:
        return abs(self.spans[-1].end - self.end) if self.spans else None

    @property
    def found(self) -> bool:
        return self.start_error is not None and self.start_error <= TOLERANCE


def score_titles(overlays: list[dict], spans: list[TextSpan]) -> tuple[list[TitleResult], list]:
    """Per title its matching spans; and the spans that match no title."""
    results, used = [], set()
    for overlay in overlays:
        key = text_key(overlay["text"])
        matching = [
            s
            for s in spans
            if text_key(s.text) == key
            and s.start < overlay["end"] + TOLERANCE
            and s.end > overlay["start"] - TOLERANCE
        ]
        used.update(id(s) for s in matching)
        results.append(TitleResult(overlay["text"], overlay["start"], overlay["end"], matching))
    return results, [s for s in spans if id(s) not in used]


def summary(results: list[TitleResult], spurious: list[TextSpan], stats) -> dict:
    starts = [r.start_error for r in results if r.spans]
    ends = [r.end_error for r in results if r.spans]
    return {
        "titles": len(results),
        "recall": sum(r.found for r in results) / len(results) if results else 1.0,
        "one_span_per_showing": sum(len(r.spans) == 1 for r in results),
        "start_error_mean": sum(starts) / len(starts) if starts else None,
        "start_error_max": max(starts, default=None),
        "end_error_mean": sum(ends) / len(ends) if ends else None,
        "end_error_max": max(ends, default=None),
        "spurious_spans": [s.to_dict() for s in spurious],
        "ocr": stats.to_dict() if stats else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7, help="toy world seed (held out: 7)")
    parser.add_argument("--seconds", type=float, default=300.0, help="length of the toy video")
    parser.add_argument("--video", type=Path, help="a titled toy video (truth JSON beside it)")
    parser.add_argument("--engine", default=DEFAULT_OCR, help="OCR engine spec")
    parser.add_argument("--fps", type=float, default=OCR_SAMPLING.fps, help="candidates/second")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="videoscout-ocr-eval-") as work:
        video = args.video
        if video is None:
            from ..toy.generate import generate

            video, _ = generate(
                Path(work) / f"toy{args.seed}.mp4", args.seconds, args.seed, titles=True
            )
        truth = json.loads(video.with_suffix(".json").read_text())
        text = read_text(
            video,
            args.engine,
            sampling=replace(OCR_SAMPLING, fps=args.fps),
            cache_dir=Path(work) / "cache",
        )
    results, spurious = score_titles(truth["overlays"], text.spans)
    report = summary(results, spurious, text.stats)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print(video, args, results, report)
    return 0 if report["recall"] == 1.0 else 1


def _print(video: Path, args, results: list[TitleResult], report: dict) -> None:
    print(f"OCR of {video.name} ({args.engine}, {args.fps:g} candidates/s)")
    print(f"{'title':10} {'shown':>17} {'read':>17} {'start err':>9} {'end err':>8} {'spans':>5}")
    for r in results:
        shown = f"{format_time(r.start)}-{format_time(r.end)}"
        if r.spans:
            read = f"{format_time(r.spans[0].start)}-{format_time(r.spans[-1].end)}"
            errors = f"{r.start_error:9.2f} {r.end_error:8.2f}"
        else:
            read, errors = "not read", f"{'-':>9} {'-':>8}"
        print(f"{r.text:10} {shown:>17} {read:>17} {errors} {len(r.spans):5d}")
    n = report["titles"]
    print(
        f"title recall (start within {TOLERANCE:g} s): {report['recall']:.2f} of {n}; "
        f"one span per showing: {report['one_span_per_showing']}/{n}"
    )
    if report["start_error_mean"] is not None:
        print(
            f"start error mean {report['start_error_mean']:.2f} s, max "
            f"{report['start_error_max']:.2f} s; end error mean {report['end_error_mean']:.2f} s, "
            f"max {report['end_error_max']:.2f} s"
        )
    print(f"spans matching no title: {len(report['spurious_spans'])}")
    for s in report["spurious_spans"]:
        print(f"  {format_time(s['start'])}-{format_time(s['end'])} {s['text']!r}")
    ocr = report["ocr"]
    print(
        f"OCR: {ocr['frames_read']} frames read of {ocr['candidates']} candidates in "
        f"{ocr['ocr_seconds']:.1f} s = {ocr['ocr_fps']:.1f} frames/s; "
        f"{ocr['total_seconds']:.1f} s in all with decoding"
    )


if __name__ == "__main__":
    sys.exit(main())
