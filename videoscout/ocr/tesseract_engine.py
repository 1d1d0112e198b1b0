"""OCR with the Tesseract program, run once per frame; a frame goes in as PNG, TSV comes out.

Tesseract is a Debian package (`apt-get install tesseract-ocr`, other languages as
`tesseract-ocr-LANG`), not a Python one, so it is looked for on PATH when the engine is made.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess

import cv2
import numpy as np

from ..errors import OcrEngineUnavailableError, VideoscoutError
from .engines import OcrEngine
from .lines import OcrLine

# Tesseract reads best with letters about 20 px high; small frames are enlarged up to this short
# side (by a whole factor, at most 4x) and the boxes scaled back.
_MIN_SHORT_SIDE = 720
# "Sparse text": find as much text as possible in no particular order, as on video frames.
_PAGE_MODE = "11"
_TIMEOUT = 120


class TesseractEngine(OcrEngine):
    def __init__(self, spec: str, language: str = "eng") -> None:
        self.spec = spec
        self.language = language
        binary = shutil.which("tesseract")
        if binary is None:
            raise OcrEngineUnavailableError(
                "OCR engine 'tesseract' needs the tesseract program, which is not on PATH; "
                "install it (Debian/Ubuntu: `apt-get install tesseract-ocr`), or use --ocr rapidocr"
            )
        self._binary = binary
        self._version = _run([binary, "--version"]).splitlines()[0].strip()
        installed = set(_run([binary, "--list-langs"]).splitlines()[1:])
        missing = [lang for lang in language.split("+") if lang not in installed]
        if missing:
            packages = " ".join(f"tesseract-ocr-{lang}" for lang in missing)
            raise OcrEngineUnavailableError(
                f"Tesseract has no {'+'.join(missing)} language data; install it "
                f"(Debian/Ubuntu: `apt-get install {packages}`); installed: "
                f"{', '.join(sorted(installed)) or 'none'}"
            )

    @property
    def identity(self) -> str:
        return f"{self._version}/{self.language}/psm{_PAGE_MODE}/min{_MIN_SHORT_SIDE}"

    def read(self, image: np.ndarray) -> list[OcrLine]:
        scale = min(4, -(-_MIN_SHORT_SIDE // min(image.shape[:2])))
        if scale > 1:
            image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        ok, png = cv2.imencode(".png", np.ascontiguousarray(image[:, :, ::-1]))
        if not ok:
            raise VideoscoutError("could not encode a frame as PNG for Tesseract")
        command = [self._binary, "stdin", "stdout", "-l", self.language, "--psm", _PAGE_MODE]
        tsv = _run([*command, "tsv"], stdin=png.tobytes())
        return [line.scaled(1 / scale, 1 / scale) for line in parse_tsv(tsv)]


def parse_tsv(tsv: str) -> list[OcrLine]:
    """Tesseract's word table grouped into lines: words joined by spaces, the box around them,
    the mean of their confidences (0-100 there, 0-1 here)."""
    lines: dict[tuple[str, ...], list[dict]] = {}
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row.get("level") != "5" or not (row.get("text") or "").strip():
            continue
        key = (row["page_num"], row["block_num"], row["par_num"], row["line_num"])
        lines.setdefault(key, []).append(row)
    result = []
    for words in lines.values():
        left = min(int(w["left"]) for w in words)
        top = min(int(w["top"]) for w in words)
        right = max(int(w["left"]) + int(w["width"]) for w in words)
        bottom = max(int(w["top"]) + int(w["height"]) for w in words)
        confidence = sum(max(0.0, float(w["conf"])) for w in words) / len(words) / 100
        text = " ".join(w["text"].strip() for w in words)
        result.append(OcrLine(text, (left, top, right, bottom), confidence))
    return result


def _run(command: list[str], stdin: bytes | None = None) -> str:
    try:
        done = subprocess.run(
            command, input=stdin, capture_output=True, timeout=_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OcrEngineUnavailableError(f"could not run Tesseract ({exc}); reinstall it") from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise OcrEngineUnavailableError(
            f"Tesseract failed ({message[-1] if message else f'exit {done.returncode}'}); check "
            f"its installation with `tesseract --version`"
        )
    # --version and --list-langs print to stdout (older releases: stderr).
    return (done.stdout or done.stderr).decode(errors="replace")
