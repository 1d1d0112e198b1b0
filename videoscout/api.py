"""The Python API: ``open_video(path)`` and the one-liners ``search(path, query)`` and
``look(path, question, at=...)``."""

from __future__ import annotations

import inspect
import os
import threading
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from . import arguments
from .describe import (
    Description,
    FrameAnswer,
    answer_question,
    checked_range,
    checked_times,
    describe_range,
    sample_times,
)
from .errors import UsageError
from .models import DEFAULT_MODEL, get_embedder
from .models.captioner import GREEDY, Decoding
from .models.registry import DEFAULT_CAPTIONER, get_captioner
from .ocr.engines import DEFAULT_OCR
from .retrieval import IndexCache, IndexResult, Moment, find_moments, load_or_build
from .retrieval.build import Progress
from .retrieval.captions import CaptionHit, search_captions
from .retrieval.fusion import fuse, timed_moments
from .speech.engines import DEFAULT_ASR
from .timefmt import format_time
from .video import FrameBatch, Sampling, VideoInfo, frame_at, open_source, probe

if TYPE_CHECKING:
    from .agent.answer import AgentAnswer
    from .agent.video_agent import VideoAgent
    from .ocr import VideoText
    from .speech import Transcript

T = TypeVar("T")


class Video:
    """One video file: its metadata, its cached indexes, search and frame access.

    The file is probed once, here. ``model``, ``captioner``, ``asr`` (speech) and ``ocr``
    (on-screen text) default to ``VIDEOSCOUT_MODEL``, ``VIDEOSCOUT_CAPTIONER``,
    ``VIDEOSCOUT_ASR`` and ``VIDEOSCOUT_OCR``, as on the command line. One ``Video`` may
    serve parallel calls (an agent's tools): an index asked for by two threads at once is
    built once.
    An argument of the wrong type raises ``TypeError``; a malformed or out-of-range one a
    ``UsageError`` (``InvalidTimeError`` for times), before any work starts.

    >>> video = open_video("talk.mp4")                       # doctest: +SKIP
    >>> for moment in video.search("a slide with a graph"):  # doctest: +SKIP
    ...     print(moment)
    """

    def __init__(
        self,
        path: str | Path,
        *,
        model: str | None = None,
        captioner: str | None = None,
        sampling: Sampling | None = None,
        cache_dir: str | Path | None = None,
        backend: str | None = None,
        asr: str | None = None,
        ocr: str | None = None,
    ) -> None:
        model, captioner = arguments.spec(model, "model"), arguments.spec(captioner, "captioner")
        asr, ocr = arguments.spec(asr, "asr"), arguments.spec(ocr, "ocr")
        sampling = arguments.sampling(sampling)
        self.info: VideoInfo = probe(arguments.video_path(path))
        self.path = self.info.path
        self.model = model or os.environ.get("VIDEOSCOUT_MODEL") or DEFAULT_MODEL
        self.captioner = captioner or os.environ.get("VIDEOSCOUT_CAPTIONER") or DEFAULT_CAPTIONER
        self.asr = asr or os.environ.get("VIDEOSCOUT_ASR") or DEFAULT_ASR
        self.ocr = ocr or os.environ.get("VIDEOSCOUT_OCR") or DEFAULT_OCR
        self.sampling = sampling or Sampling()
        self.cache = IndexCache(arguments.folder(cache_dir, "cache_dir"))
        self.backend = backend
        # Indexes, transcripts and on-screen text, by what they were made with. ``_lock`` guards
        # the two dicts; each entry has its own lock, held while it loads or builds, so that
        # different entries build side by side and the same one only once.
        self._made: dict[tuple, object] = {}
        self._lock = threading.Lock()
        self._building: dict[tuple, threading.Lock] = {}

    @cached_property
    def fingerprint(self) -> str:
        """The file's content fingerprint: the key of its indexes and captions in the cache."""
        return self.cache.fingerprint(self.path)

    def __repr__(self) -> str:
        return f"Video({str(self.path)!r}, duration={format_time(self.info.duration)})"

    def index(
        self,
        *,
        model: str | None = None,
        sampling: Sampling | None = None,
        force: bool = False,
        progress: Progress | None = None,
    ) -> IndexResult:
        """The frame index for ``model`` and ``sampling``: from the cache, or built once."""
        model = arguments.spec(model, "model") or self.model
        sampling = arguments.sampling(sampling) or self.sampling
        return self._once(
            ("index", model, sampling),
            force,
            lambda: load_or_build(
                self.info,
                get_embedder(model),
                sampling,
                self.cache,
                backend=self.backend,
                force=force,
                progress=progress,
                video_fp=self.fingerprint,
            ),
        )

    def transcribe(
        self, asr: str | None = None, *, force: bool = False, progress=None
    ) -> Transcript:
        """What is said, with times, by the speech engine ``asr`` (default: the video's):
        transcribed once and cached; an interrupted run resumes. Raises ``NoAudioError`` when
        the video has no audio track."""
        from .speech import transcribe

        asr = arguments.spec(asr, "asr") or self.asr
        return self._once(
            ("speech", asr),
            force,
            lambda: transcribe(
                self.path,
                asr,
                cache_dir=self.cache.root,
                force=force,
                progress=progress,
                video_fp=self.fingerprint,
            ),
        )

    def read_text(
        self,
        ocr: str | None = None,
        *,
        sampling: Sampling | None = None,
        force: bool = False,
        progress=None,
    ) -> VideoText:
        """The text on screen (titles, slides, signs) as spans with times, read by the OCR
        engine ``ocr`` (default: the video's) on the frames where the picture changed (among
        those ``sampling`` offers; default ``ocr.OCR_SAMPLING``): read once and cached."""
        from .ocr import OCR_SAMPLING, read_text

        ocr = arguments.spec(ocr, "ocr") or self.ocr
        sampling = arguments.sampling(sampling) or OCR_SAMPLING
        return self._once(
            ("text", ocr, sampling),
            force,
            lambda: read_text(
                self.info,
                ocr,
                sampling=sampling,
                cache_dir=self.cache.root,
                video_fp=self.fingerprint,
                force=force,
                progress=progress,
            ),
        )

    def _once(self, key: tuple, force: bool, make: Callable[[], T]) -> T:
        """``make()``'s result for ``key``, made once however many threads ask at a time."""
        with self._lock:
            if not force and key in self._made:
                return self._made[key]
            building = self._building.setdefault(key, threading.Lock())
        with building:
            with self._lock:
                if not force and key in self._made:  # another thread made it meanwhile
                    return self._made[key]
            result = make()
            with self._lock:
                self._made[key] = result
        return result

    def search(
        self,
        query: str,
        k: int = 5,
        *,
        model: str | None = None,
        progress: Progress | None = None,
        within: str = "frames",
    ) -> list[Moment]:
        """The ``k`` best moments for a plain-language ``query``, best first. ``within`` is
        where to look: ``frames`` (the picture), ``speech`` (what is said), ``text`` (what is
        written on screen) or ``all`` (or several, in a list or joined by commas), fused into
        one list by reciprocal rank fusion; each moment says where it was found and quotes what
        was said or written there. ``score`` is a cosine similarity for frames alone, a BM25
        score for speech or text alone, and the fused score otherwise."""
        query = arguments.text(query, "search query", "describe the moment to find")
        k = arguments.count(k, "k", 1, arguments.MAX_MOMENTS)
        model = arguments.spec(model, "model") or self.model
        channels = self.search_channels(within)
        ranked = {}
        if "frames" in channels:
            result = self.index(model=model, progress=progress)
            vector = get_embedder(model).embed_texts([query])[0]
            ranked["frames"] = find_moments(result.index, vector, k)
        if "speech" in channels:
            ranked["speech"] = timed_moments(self.transcribe().find(query, k), "speech")
        if "text" in channels:
            ranked["text"] = timed_moments(self.read_text().find(query, k), "text")
        if len(ranked) == 1:  # one channel: its own ranking and scores
            return next(iter(ranked.values()))[:k]
        return fuse(ranked, k)

    def search_channels(self, within: str = "frames") -> tuple[str, ...]:
        """Where ``search(within=...)`` looks: speech is left out of a video without an audio
        track unless it is all that was asked for (then searching it says there is none)."""
        channels = arguments.channels(within)
        if "speech" in channels and not self.info.has_audio and channels != ("speech",):
            channels = tuple(c for c in channels if c != "speech")
        return channels

    def caption(
        self,
        start: float | str | None = None,
        end: float | str | None = None,
        *,
        every: float | str | None = None,
        frames: int | None = None,
        captioner: str | None = None,
        decoding: Decoding = GREEDY,
    ) -> Description:
        """Captions of frames in [start, end] (default: the whole video), one every ``every``
        seconds or ``frames`` spread evenly (default 8); VLMs add one summary of the range.
        Times are seconds or text such as ``"1:23.5"``. Captions are cached per frame: frames
        captioned before are not decoded again."""
        start, end = checked_range(
            arguments.optional_seconds(start, "start"),
            arguments.optional_seconds(end, "end"),
            self.info.duration,
        )
        if every is not None:
            every = arguments.caption_interval(every, end - start)
        if frames is not None:
            frames = arguments.count(frames, "frames", 1, arguments.MAX_FRAMES)
        times = sample_times(start, end, every, frames)
        model = get_captioner(arguments.spec(captioner, "captioner") or self.captioner)
        return describe_range(self, model, start, end, times, arguments.decoding(decoding))

    def look(
        self,
        question: str,
        *,
        at: Sequence[float | str] | None = None,
        start: float | str | None = None,
        end: float | str | None = None,
        frames: int = 4,
        captioner: str | None = None,
        decoding: Decoding = GREEDY,
    ) -> FrameAnswer:
        """Answer ``question`` from the frames at times ``at``, or ``frames`` frames spread
        over [start, end]: the captioner looks at those frames only (``videoscout vqa``).
        Models that see one frame at a time answer per frame; the most common answer wins."""
        question = arguments.text(question, "question", "ask something about the frames")
        if at is not None and (start is not None or end is not None):
            raise UsageError("give either times to look at or a range, not both")
        if at is not None:
            at = arguments.times(at, "at")
            if not at:
                raise UsageError("no times given; pass one or more, e.g. --at 1:23,1:40")
            times = checked_times(at, self.info.duration)
        elif start is not None or end is not None:
            start, end = checked_range(
                arguments.optional_seconds(start, "start"),
                arguments.optional_seconds(end, "end"),
                self.info.duration,
            )
            frames = arguments.count(frames, "frames", 1, arguments.MAX_FRAMES)
            times = sample_times(start, end, None, frames)
        else:
            raise UsageError(
                "say where to look: times of frames (e.g. 1:23 and 1:40) or a range (a start "
                "and an end)"
            )
        model = get_captioner(arguments.spec(captioner, "captioner") or self.captioner)
        return answer_question(self, model, question, times, arguments.decoding(decoding))

    def search_captions(self, query: str, k: int = 5) -> list[CaptionHit]:
        """Captions cached for this video (by ``caption``) that contain the query's words."""
        query = arguments.text(query, "search query", "describe the moment to find")
        k = arguments.count(k, "k", 1, arguments.MAX_MOMENTS)
        return search_captions(self.cache, self.fingerprint, query, k)

    def agent(self, llm=None, **options) -> VideoAgent:
        """An agent that answers questions about this video, with a memory per conversation.

        ``llm`` is a chat-model spec (``none``, ``ollama:NAME``, ``openai:NAME``, ...; default
        ``$VIDEOSCOUT_LLM`` or ``none``) or a LangChain chat model; ``options`` are
        ``VideoAgent``'s (``llm_base_url``, ``session``, ``budgets``)."""
        from .agent.video_agent import VideoAgent

        return VideoAgent(self, llm, **options)

    def frames_at(
        self, times: Sequence[float | str], size: tuple[int, int] | None = None
    ) -> FrameBatch:
        """The frames on screen at ``times`` (seconds, or text such as ``"1:23.5"``), decoded
        at ``size`` (width, height)."""
        times = checked_times(arguments.times(times, "times"), self.info.duration)
        size = arguments.frame_size(size)
        with open_source(self.path, size=size, backend=self.backend, info=self.info) as source:
            return source.get_frames(frame_at(source.timestamps, times))


def open_video(path: str | Path, **options) -> Video:
    """Open a video for search and frame access; see ``Video`` for the options."""
    return Video(path, **options)


def search(path: str | Path, query: str, k: int = 5, **options) -> list[Moment]:
    """Index ``path`` (or reuse its cached index); the ``k`` best moments for ``query``.
    ``options`` are ``Video``'s (``model``, ``sampling``, ``cache_dir``, ...) and
    ``Video.search``'s (``progress``)."""
    video, rest = _open_with(path, options)
    return video.search(query, k, **rest)


def look(path: str | Path, question: str, **options) -> FrameAnswer:
    """Answer ``question`` from frames of ``path``. ``options`` are ``Video``'s (``captioner``,
    ``cache_dir``, ...) and ``Video.look``'s (``at``, ``start``, ``end``, ``frames``,
    ``decoding``)."""
    video, rest = _open_with(path, options)
    return video.look(question, **rest)


def ask(path: str | Path, question: str, *, llm=None, **options) -> AgentAnswer:
    """Ask the agent one question about ``path``: an answer with cited moments. ``options``
    are ``Video``'s (``model``, ``captioner``, ``cache_dir``, ...) and ``VideoAgent``'s
    (``llm_base_url``, ``session``, ``budgets``)."""
    question = arguments.text(question, "question", "ask something about the video")
    video, rest = _open_with(path, options)
    return video.agent(llm, **rest).ask(question)


_VIDEO_OPTIONS = frozenset(inspect.signature(Video.__init__).parameters) - {"self", "path"}


def _open_with(path: str | Path, options: dict) -> tuple[Video, dict]:
    """A ``Video`` opened with the options its constructor takes; the rest, for the method."""
    mine = {name: value for name, value in options.items() if name in _VIDEO_OPTIONS}
    rest = {name: value for name, value in options.items() if name not in _VIDEO_OPTIONS}
    return Video(path, **mine), rest
