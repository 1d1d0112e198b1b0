"""``whisper:SIZE``: OpenAI Whisper run by faster-whisper (CTranslate2), an optional extra.

Spec strings::

    whisper:tiny.en | base | small | medium | large-v3 | ...   a converted model on the Hub
    whisper:ORG/REPO                                          any CTranslate2 Whisper repo
    whisper:/path/to/folder                                   a folder holding model.bin

Weights come from the Hugging Face cache (or are downloaded into it when the Hub is
reachable), as for every other model: a cache copied from a connected machine works offline.
Resolving the spec checks the package and the files; the model loads on first use.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import numpy as np

from ..errors import MissingDependencyError, ModelNotAvailableError, UnknownModelError
from ..models import checkpoints
from .recognizer import SpeechRecognizer
from .transcript import Segment, Word

# faster-whisper's own table (faster_whisper/utils.py), so the names mean the same here.
SIZES = {
    "tiny.en": "Systran/faster-whisper-tiny.en",
    "tiny": "Systran/faster-whisper-tiny",
    "base.en": "Systran/faster-whisper-base.en",
    "base": "Systran/faster-whisper-base",
    "small.en": "Systran/faster-whisper-small.en",
    "small": "Systran/faster-whisper-small",
    "medium.en": "Systran/faster-whisper-medium.en",
    "medium": "Systran/faster-whisper-medium",
    "large-v1": "Systran/faster-whisper-large-v1",
    "large-v2": "Systran/faster-whisper-large-v2",
    "large-v3": "Systran/faster-whisper-large-v3",
    "large": "Systran/faster-whisper-large-v3",
    "distil-small.en": "Systran/faster-distil-whisper-small.en",
    "distil-medium.en": "Systran/faster-distil-whisper-medium.en",
    "distil-large-v3": "Systran/faster-distil-whisper-large-v3",
    "large-v3-turbo": "mobiuslabsgmbh/faster-whisper-large-v3-turbo",
    "turbo": "mobiuslabsgmbh/faster-whisper-large-v3-turbo",
}
REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json")
_EXTRA = 'pip install "videoscout[whisper]"'


def whisper_recognizer(spec: str, name: str) -> SpeechRecognizer:
    """Check the name, the package and the weights; the model itself loads on first use."""
    folder_given = name.startswith(("/", "~", ".")) or Path(name).expanduser().is_dir()
    if not folder_given and "/" not in name and name not in SIZES:
        raise UnknownModelError(
            f"unknown Whisper model {spec!r}. Valid: "
            f"{', '.join(f'whisper:{size}' for size in SIZES)}; or whisper:ORG/REPO, "
            f"whisper:/path/to/folder (`videoscout models`)"
        )
    if importlib.util.find_spec("faster_whisper") is None:
        raise MissingDependencyError(
            f"ASR engine {spec!r} needs faster-whisper, which is not installed: {_EXTRA}; "
            f"or use --asr sphinx:en-us (bundled, offline)"
        )
    if folder_given:
        folder = _local_folder(spec, Path(name).expanduser())
        stat = (folder / "model.bin").stat()
        identity = f"{spec}@{stat.st_size}:{stat.st_mtime_ns}"
    else:
        folder = _hub_folder(spec, SIZES.get(name, name))
        identity = f"{spec}@{folder.name}"  # the snapshot's revision
    return WhisperRecognizer(spec, folder, identity, english=name.endswith(".en"))


class WhisperRecognizer(SpeechRecognizer):
    def __init__(self, spec: str, folder: Path, identity: str, english: bool) -> None:
        self.spec, self.folder, self.identity = spec, folder, identity
        self.language = "en" if english else None  # None: detected per chunk
        self._model = None
        self._lock = threading.Lock()

    def transcribe(self, samples: np.ndarray, offset: float) -> list[Segment]:
        with self._lock:
            model = self._load()
            pieces, _ = model.transcribe(
                samples.astype(np.float32, copy=False),
                language=self.language,
                word_timestamps=True,
                vad_filter=True,  # whisper invents words in long silences; skip them
            )
            return [_segment(piece, offset) for piece in pieces if piece.text.strip()]

    def _load(self):
        if self._model is None:
            from faster_whisper import WhisperModel

            self._model = WhisperModel(str(self.folder), device="auto", compute_type="default")
        return self._model


def _segment(piece, offset: float) -> Segment:
    words = tuple(
        Word(
            w.word.strip(),
            round(offset + w.start, 3),
            round(offset + w.end, 3),
            round(float(w.probability), 3),
        )
        for w in (piece.words or ())
        if w.word.strip()
    )
    return Segment(
        round(offset + piece.start, 3), round(offset + piece.end, 3), piece.text.strip(), words
    )


def _hub_folder(spec: str, repo: str) -> Path:
    """The cached snapshot of ``repo`` holding every required file, else downloaded."""
    from huggingface_hub import snapshot_download, try_to_load_from_cache

    cached = try_to_load_from_cache(repo, REQUIRED_FILES[0])
    if isinstance(cached, str):
        folder = Path(cached).parent
        if all((folder / name).is_file() for name in REQUIRED_FILES):
            return folder
    where = f"looked in the Hugging Face cache {checkpoints.hub_cache_dir()} for {repo}"
    fix = (
        f"fix: on a connected machine run `hf download {repo}` and copy its Hugging Face cache "
        f"here (or point HF_HOME at one that has it), or pass --asr whisper:/path/to/folder "
        f"(a folder holding {', '.join(REQUIRED_FILES)})"
    )
    if checkpoints.offline():
        raise ModelNotAvailableError(
            f"model {spec} is not downloaded and HF_HUB_OFFLINE is set: {where}; {fix}"
        )
    reason = checkpoints.hub_unreachable()
    if reason:
        raise ModelNotAvailableError(
            f"model {spec} is not downloaded and the Hub is unreachable ({reason}): {where}; {fix}"
        )
    try:
        patterns = [*REQUIRED_FILES, "preprocessor_config.json", "vocabulary.*"]
        return Path(snapshot_download(repo, allow_patterns=patterns))
    except Exception as exc:  # noqa: BLE001 - any hub failure means "not available"
        raise ModelNotAvailableError(
            f"model {spec} could not be downloaded ({type(exc).__name__}): {where}; {fix}"
        ) from None


def _local_folder(spec: str, folder: Path) -> Path:
    layout = f"a Whisper model folder (CTranslate2) holds {', '.join(REQUIRED_FILES)}"
    if not folder.is_dir():
        raise ModelNotAvailableError(f"model {spec}: {folder} is not a directory; {layout}")
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise ModelNotAvailableError(f"model {spec}: no {', '.join(missing)} in {folder}; {layout}")
    return folder
