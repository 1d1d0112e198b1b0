"""LangChain tools over one video, for agents (see ``VideoToolkit``)."""

from .toolkit import VideoToolkit

__all__ = ["VideoToolkit"]
