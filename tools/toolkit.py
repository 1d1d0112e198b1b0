"""Tools an agent uses on one video. Failures a user or model can cause come back to the model
as readable messages naming what is valid; programming errors propagate."""

from __future__ import annotations

from contextlib import contextmanager

from langchain_core.tools import BaseTool, BaseToolkit, StructuredTool, ToolException
from pydantic import BaseModel, ConfigDict, Field

from videoscout import render
from videoscout.api import Video
from videoscout.errors import VideoscoutError
from videoscout.prompts import load_prompt
from videoscout.timefmt import parse_time


class SearchMomentsInput(BaseModel):
    query: str = Field(description="What is visible in the moment to find, in plain language.")
    k: int = Field(default=5, ge=1, le=20, description="How many moments to return.")


class VideoInfoInput(BaseModel):
    pass


class DescribeSegmentInput(BaseModel):
    start: str = Field(description="Start time, seconds (83.5) or M:SS (1:23.5).")
    end: str = Field(description="End time, in the same forms; after the start.")
    frames: int = Field(default=6, ge=1, le=32, description="Frames to caption in the range.")


class AskFramesInput(BaseModel):
    question: str = Field(description="A question about what the frames show.")
    times: list[str] = Field(
        default_factory=list, description="Times of the frames to look at (83.5 or 1:23.5)."
    )
    start: str | None = Field(default=None, description="Or: start of a range to look at.")
    end: str | None = Field(default=None, description="Or: end of that range.")


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
            with _user_errors_to_model():
                moments = self.video.search(query, k)
            return render.moments_text(query, moments), [m.to_dict() for m in moments]

        return _tool(search_moments, SearchMomentsInput)

    def _describe_segment(self) -> BaseTool:
        def describe_segment(start: str, end: str, frames: int = 6) -> tuple[str, dict]:
            with _user_errors_to_model():
                result = self.video.caption(parse_time(start), parse_time(end), frames=frames)
            text = f"{render.description_heading(result)}:\n{render.description_text(result)}"
            return text, result.to_dict()

        return _tool(describe_segment, DescribeSegmentInput)

    def _ask_frames(self) -> BaseTool:
        def ask_frames(
            question: str,
            times: list[str] | None = None,
            start: str | None = None,
            end: str | None = None,
        ) -> tuple[str, dict]:
            with _user_errors_to_model():
                answer = self.video.look(
                    question,
                    at=[parse_time(t) for t in times] if times else None,
                    start=parse_time(start) if start else None,
                    end=parse_time(end) if end else None,
                )
            return render.frame_answer_text(answer), answer.to_dict()

        return _tool(ask_frames, AskFramesInput)


def _tool(function, schema: type[BaseModel]) -> BaseTool:
    """A tool named after ``function``, described by ``prompts/tools/<name>.md``; text for the
    model, the structured result as the artifact; errors go back to the model as messages."""
    return StructuredTool.from_function(
        function,
        name=function.__name__,
        description=load_prompt(f"tools/{function.__name__}"),
        args_schema=schema,
        response_format="content_and_artifact",
        handle_tool_error=True,
        handle_validation_error=True,
    )


@contextmanager
def _user_errors_to_model():
    """Errors a user or the model can cause become messages; programming errors propagate."""
    try:
        yield
    except VideoscoutError as exc:
        raise ToolException(str(exc)) from exc
