"""Tools an agent uses on one video. Failures a user or model can cause come back to the model
as readable messages naming what is valid; programming errors propagate."""

from __future__ import annotations

from functools import partial

from langchain_core.tools import BaseTool, BaseToolkit, StructuredTool
from pydantic import BaseModel, ConfigDict

from videoscout import render
from videoscout.api import Video
from videoscout.prompts import load_prompt

from .schemas import AskFramesInput, DescribeSegmentInput, SearchMomentsInput, VideoInfoInput
from .tool_errors import explain_invalid_arguments, user_errors_to_model


class VideoToolkit(BaseToolkit):
    """``video_info``, ``search_moments``, ``describe_segment`` and ``ask_frames`` over one
    ``Video`` (the last two use its captioner)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    video: Video

    def get_tools(self) -> list[BaseTool]:
        return [
            self._video_info(),
            self._search_moments(),
            self._describe_segment(),
            self._ask_frames(),
        ]

    def _video_info(self) -> BaseTool:
        def video_info() -> tuple[str, dict]:
            info = self.video.info
            return render.info_line(info), info.to_dict()

        return _tool(video_info, VideoInfoInput)

    def _search_moments(self) -> BaseTool:
        def search_moments(query: str, k: int = 5) -> tuple[str, list[dict]]:
            with user_errors_to_model():
                moments = self.video.search(query, k)
            return render.moments_text(query, moments), [m.to_dict() for m in moments]

        return _tool(search_moments, SearchMomentsInput)

    def _describe_segment(self) -> BaseTool:
        # Times arrive as seconds: the schema has read them (83.5, "83.5" or "1:23.5").
        def describe_segment(start: float, end: float, frames: int = 6) -> tuple[str, dict]:
            with user_errors_to_model():
                result = self.video.caption(start, end, frames=frames)
            text = f"{render.description_heading(result)}:\n{render.description_text(result)}"
            return text, result.to_dict()

        return _tool(describe_segment, DescribeSegmentInput)

    def _ask_frames(self) -> BaseTool:
        def ask_frames(
            question: str,
            times: list[float] | None = None,
            start: float | None = None,
            end: float | None = None,
        ) -> tuple[str, dict]:
            with user_errors_to_model():
                answer = self.video.look(question, at=times or None, start=start, end=end)
            return render.frame_answer_text(answer), answer.to_dict()

        return _tool(ask_frames, AskFramesInput)


def _tool(function, schema: type[BaseModel]) -> BaseTool:
    """A tool named after ``function``, described by ``prompts/tools/<name>.md``; text for the
    model, the structured result as the artifact; errors go back to the model as messages."""
    name = function.__name__
    return StructuredTool.from_function(
        function,
        name=name,
        description=load_prompt(f"tools/{name}"),
        args_schema=schema,
        response_format="content_and_artifact",
        handle_tool_error=True,
        handle_validation_error=partial(explain_invalid_arguments, name, schema),
    )
