"""The terminal chat: a loop over questions and slash commands (``loop``, ``commands``) and
its prompt_toolkit line editor (``terminal``)."""

from .loop import ChatLoop, plain_console

__all__ = ["ChatLoop", "plain_console"]
