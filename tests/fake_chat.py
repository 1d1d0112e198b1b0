"""A scripted chat model that binds tools, in the style of langchain's FakeToolCallingModel:
each call returns the next scripted reply, so a test can script good tool use and misbehaviour
alike, and read every prompt the agent sent."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

Reply = AIMessage | str | Callable[[list[BaseMessage]], AIMessage | str]


def decision(action: str, **args: Any) -> AIMessage:
    """A well-formed ``next_step`` call."""
    return AIMessage(
        content="",
        tool_calls=[
            {
                "name": "next_step",
                "args": {"step": {"action": action, **args}},
                "id": f"call-{action}",
            }
        ],  # fmt: skip
    )


class ScriptedChatModel(BaseChatModel):
    """Replies from ``script`` in order; when it runs out, ``then`` forever (or an error)."""

    script: list[Any]
    then: Any = None
    prompts: list[list[BaseMessage]] = []
    bound: list[dict] = []

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any):
        self.bound.append({"tools": list(tools), "tool_choice": tool_choice})
        return self

    def _generate(self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs):
        self.prompts.append(list(messages))
        if self.script:
            reply = self.script.pop(0)
        elif self.then is not None:
            reply = self.then
        else:
            raise AssertionError("the scripted chat model ran out of replies")
        if callable(reply):
            reply = reply(messages)
        if isinstance(reply, str):
            reply = AIMessage(content=reply)
        return ChatResult(generations=[ChatGeneration(message=reply)])

    @property
    def calls(self) -> int:
        return len(self.prompts)


def scripted(script: Sequence[Reply], then: Reply | None = None) -> ScriptedChatModel:
    return ScriptedChatModel(script=list(script), then=then, prompts=[], bound=[])
