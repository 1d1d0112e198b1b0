"""``VideoAgent``: questions about one video, answered by the graph, with a memory per thread.

Conversations are checkpointed: in memory by default, or in SQLite under the cache directory
for a named session, which can be listed, resumed and deleted.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

from videoscout import arguments
from videoscout.errors import InvalidTimeError, UsageError

from .answer import AgentAnswer, Citation, Step
from .graph import build_graph
from .questions import unreadable_time
from .state import AgentContext, Budgets

SESSIONS_FILE = "conversations.sqlite"


class VideoAgent:
    """Ask questions about ``video``; follow-ups remember the conversation.

    >>> agent = video.agent()                       # doctest: +SKIP
    >>> agent.ask("when does the red car appear?")  # doctest: +SKIP
    """

    def __init__(
        self,
        video,
        llm=None,
        *,
        llm_base_url: str | None = None,
        session: str | None = None,
        budgets: Budgets | None = None,
    ) -> None:
        self.video = video
        spec, model = _chat_model(llm, llm_base_url)
        self.context = AgentContext(
            video=video,
            llm=model,
            llm_spec=spec,
            llm_base_url=llm_base_url,
            budgets=budgets or Budgets(),
        )
        self.session = session
        self._saver = _saver(video, session)
        self.graph = build_graph(self._saver)
        self.thread_id = self._thread_for(session)

    def __repr__(self) -> str:
        return f"VideoAgent({self.video!r}, llm={self.llm_spec!r}, thread={self.thread_id!r})"

    # Questions

    def ask(self, question: str) -> AgentAnswer:
        """Answer ``question``, citing the moments it rests on."""
        *_, answer = self.stream(question)
        return answer

    def stream(self, question: str) -> Iterator[Step | AgentAnswer]:
        """Each step as it happens, then the ``AgentAnswer``."""
        final: dict = {}
        for mode, chunk in self.graph.stream(**self._run(question)):
            step = _step_or_keep(mode, chunk, final)
            if step is not None:
                yield step
        yield _answer(final.get("answer"))

    async def aask(self, question: str) -> AgentAnswer:
        answer = None
        async for answer in self.astream(question):  # noqa: B007 - the last item is the answer
            pass
        return answer

    async def astream(self, question: str) -> AsyncIterator[Step | AgentAnswer]:
        final: dict = {}
        async for mode, chunk in self.graph.astream(**self._run(question)):
            step = _step_or_keep(mode, chunk, final)
            if step is not None:
                yield step
        yield _answer(final.get("answer"))

    @property
    def llm_spec(self) -> str:
        return self.context.llm_spec

    def set_llm(self, llm, *, llm_base_url: str | None = None) -> None:
        """Answer the next questions with another chat model; the conversation stays."""
        spec, model = _chat_model(llm, llm_base_url)
        self.context = replace(self.context, llm=model, llm_spec=spec, llm_base_url=llm_base_url)

    # Conversations

    def new_thread(self) -> str:
        """Start a new conversation (the old one stays saved); returns its thread id."""
        self.thread_id = self._thread_for(None)
        return self.thread_id

    def history(self) -> list[dict]:
        """The finished turns of this conversation: question, answer, subject, windows."""
        state = self.graph.get_state(self._config())
        return list(state.values.get("turns", [])) if state.values else []

    def sessions(self) -> list[str]:
        """Named sessions saved for this video."""
        names = {
            item.metadata.get("session")
            for item in self._saver.list(None, filter={"video": self._fingerprint()})
        }
        return sorted(n for n in names if n)

    def new_session(self, session: str) -> None:
        """Continue in a new named conversation (saved like the others)."""
        if session in self.sessions():
            raise UsageError(f"a session named {session!r} exists already; /resume it instead")
        self.session = session
        self.thread_id = self._thread_for(session)

    def resume(self, session: str) -> None:
        if session not in self.sessions():
            valid = ", ".join(self.sessions()) or "none yet"
            raise UsageError(f"no saved session {session!r} for this video; saved: {valid}")
        self.session = session
        self.thread_id = self._thread_for(session)

    def delete_session(self, session: str) -> None:
        self._saver.delete_thread(self._thread_for(session))

    # Internals

    def _run(self, question: str) -> dict:
        """The graph's arguments for one question."""
        question = arguments.text(question, "question", "ask something about the video")
        problem = unreadable_time(question)
        if problem:  # refused as asked, not answered as some other question
            raise InvalidTimeError(problem)
        return {
            "input": {"question": question},
            "config": self._config(),
            "context": self.context,
            "stream_mode": ["custom", "values"],
        }

    def _config(self) -> dict:
        budgets = self.context.budgets
        return {
            "configurable": {"thread_id": self.thread_id},
            "metadata": {"video": self._fingerprint(), "session": self.session or ""},
            "recursion_limit": 4 * budgets.tool_steps + 30,
        }

    def _fingerprint(self) -> str:
        return self.video.fingerprint

    def _prefix(self) -> str:
        return f"{self._fingerprint()[:16]}/"

    def _thread_for(self, session: str | None) -> str:
        if session:
            return f"{self._prefix()}{session}"
        return f"{self._prefix()}{uuid.uuid4().hex[:12]}"


def _chat_model(llm, base_url: str | None):
    """(spec, model) for a spec string (None: ``$VIDEOSCOUT_LLM``, else ``none``) or a LangChain
    chat model given as is."""
    from videoscout.models.chat_models import chat_model_spec, get_chat_model

    if llm is None or isinstance(llm, str):
        spec = chat_model_spec((llm or "").strip() or None)
        return spec, get_chat_model(spec, base_url=base_url)
    return type(llm).__name__, llm


def _saver(video, session: str | None):
    if not session:
        from langgraph.checkpoint.memory import InMemorySaver

        return InMemorySaver()
    from langgraph.checkpoint.sqlite import SqliteSaver

    folder = Path(video.cache.root)
    folder.mkdir(parents=True, exist_ok=True)
    return SqliteSaver(sqlite3.connect(folder / SESSIONS_FILE, check_same_thread=False))


def _step_or_keep(mode: str, chunk: dict, final: dict) -> Step | None:
    """A streamed step, or (from the state's values) the answer kept in ``final``."""
    if mode == "custom":
        return Step(**chunk)
    if "answer" in chunk:
        final["answer"] = chunk["answer"]
    return None


def _answer(data: dict | None) -> AgentAnswer:
    if data is None:
        raise RuntimeError("the agent graph finished without an answer")
    fields = dict(data)
    fields["citations"] = [Citation(**c) for c in data["citations"]]
    fields["steps"] = [Step(**s) for s in data["steps"]]
    return AgentAnswer(**fields)
