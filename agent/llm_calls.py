"""Calling the chat model: a server that is down or a model it does not have becomes one line
naming the fix, not a stack of HTTP tracebacks."""

from __future__ import annotations

from langchain_core.messages import AIMessage, BaseMessage

from .state import AgentContext


def call_model(model, messages: list[BaseMessage], context: AgentContext) -> AIMessage:
    try:
        return model.invoke(messages)
    except Exception as exc:
        from videoscout.models.chat_models import describe_chat_error

        error = describe_chat_error(exc, context.llm_spec, context.llm_base_url)
        if error is None:
            raise
        raise error from exc
