"""Tools an agent uses on one video. Failures a user or model can cause come back to the model
as readable messages naming what is valid; programming errors propagate."""

from __future__ import annotations

from langchain_core.tools import BaseTool, BaseToolkit, StructuredTool, ToolException
from pydantic import BaseModel, ConfigDict, Field

from videoscout.api import Video
from videoscout.errors import VideoscoutError
from videoscout.prompts import load_prompt
from videoscout.timefmt import format_time


class SearchMomentsInput(BaseModel):
    query: str = Field(description="What is visible in the moment to find, in plain language.")
    k: int = Field(default=5, ge=1, le=20, description="How many moments to return.")


class VideoInfoInput(BaseModel):
    pass


class VideoToolkit(BaseToolkit):
    """``video_info`` and ``search_moments`` over one ``Video``."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    video: Video

    def get_tools(self) -> list[BaseTool]:
        return [self._video_info(), self._search_moments()]

    def _video_info(self) -> BaseTool:
        def video_info() -> tuple[str, dict]:
            info = self.video.info
            text = (
                f"{info.path.name}: {format_time(info.duration)} long ({info.duration:.2f} s), "
                f"{float(info.fps):.2f} fps, {info.frame_count} frames, "
                f"{info.width}x{info.height}, {'with' if info.has_audio else 'no'} audio"
            )
            return text, info.to_dict()

        return StructuredTool.from_function(
            video_info,
            name="video_info",
            description=load_prompt("tools/video_info"),
            args_schema=VideoInfoInput,
            response_format="content_and_artifact",
        )

    def _search_moments(self) -> BaseTool:
        def search_moments(query: str, k: int = 5) -> tuple[str, list[dict]]:
            try:
                moments = self.video.search(query, k)
            except VideoscoutError as exc:
                raise ToolException(f"search_moments failed: {exc}") from exc
            if not moments:
                return f'no moments found for "{query}"', []
            lines = [
                f"{m.rank}. {format_time(m.start)}-{format_time(m.end)} "
                f"(score {m.score:.3f}, best frame at {format_time(m.peak)})"
                for m in moments
            ]
            return f'moments matching "{query}":\n' + "\n".join(lines), [
                m.to_dict() for m in moments
            ]

        return StructuredTool.from_function(
            search_moments,
            name="search_moments",
            description=load_prompt("tools/search_moments"),
            args_schema=SearchMomentsInput,
            response_format="content_and_artifact",
            handle_tool_error=True,
        )
