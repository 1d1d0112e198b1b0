"""The agent's graph, assembled in one flat block.

    start -> retrieve -> choose -> act -> choose ... -> answer -> verify -> finish
                                                           ^-- retry --'  '-> fallback -> finish

Retrieval runs before any model speaks. ``choose`` is the sufficiency check: the LLM-free
planner, or one schema-constrained model decision, picks the next action or ``answer``, within
the per-question budgets. ``verify`` checks every time in the answer against what tools
returned; an unsupported answer is rewritten once, then rebuilt from the evidence.
"""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from . import nodes
from .state import AgentContext, AgentState


def build_graph(checkpointer=None):
    graph = StateGraph(AgentState, context_schema=AgentContext)
    graph.add_node("start", nodes.start)
    graph.add_node("retrieve", nodes.retrieve)
    graph.add_node("choose", nodes.choose)
    graph.add_node("act", nodes.act)
    graph.add_node("answer", nodes.answer)
    graph.add_node("verify", nodes.verify)
    graph.add_node("fallback", nodes.fallback)
    graph.add_node("finish", nodes.finish)

    graph.add_edge(START, "start")
    graph.add_edge("start", "retrieve")
    graph.add_edge("retrieve", "choose")
    graph.add_conditional_edges("choose", nodes.after_choose, ["act", "answer"])
    graph.add_edge("act", "choose")
    graph.add_edge("answer", "verify")
    graph.add_conditional_edges("verify", nodes.after_verify, ["finish", "answer", "fallback"])
    graph.add_edge("fallback", "finish")
    graph.add_edge("finish", END)
    return graph.compile(checkpointer=checkpointer)
