"""The LangGraph agent that answers questions about a video: retrieval first, a bounded
reasoning loop (an LLM-free planner or one schema-constrained model decision per step), and
verified citations. ``Video.agent()`` builds one; ``videoscout.ask`` asks once."""

from .answer import AgentAnswer, Citation, Step
from .state import Budgets

__all__ = ["AgentAnswer", "Budgets", "Citation", "Step", "VideoAgent"]


def __getattr__(name: str):
    # langgraph loads on first use: `import videoscout` stays quick for commands that fail fast.
    if name == "VideoAgent":
        from .video_agent import VideoAgent

        return VideoAgent
    raise AttributeError(name)
