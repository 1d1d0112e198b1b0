"""The LangGraph agent that answers questions about a video with the tools in
``videoscout.tools``. The graph arrives with the agent issue; this package holds its place in
the layout the design card fixes (agent/, tools/, retrieval/, prompts/)."""
