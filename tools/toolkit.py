"""Tools an agent uses on one video. Failures a user or model can cause come back to the model
as readable messages naming what is valid; programming errors propagate."""

from __future__ import annotations

from functools import partial

from langchain_core.tools import BaseTool, BaseToolkit, StructuredTool
from pydantic import BaseModel, ConfigDict

from videoscout import render
from videoscout.api import Video
from videoscout.describe import checked_range
from videoscout.prompts import load_prompt

from .schemas import (
    AskFramesInput,
    DescribeSegmentInput,
    SearchMomentsInput,
    SearchSpeechInput,
    TimeRangeInput,
    VideoInfoInput,
)
from .tool_errors import explain_invalid_arguments, user_errors_to_model


class VideoToolkit(BaseToolkit):
    """``video_info``, ``search_moments``, ``describe_segment``, ``ask_frames``,
    ``search_speech``, ``read_transcript`` and ``read_screen_text`` over one ``Video`` (with
    its captioner, speech and OCR engines)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    video: Video

    def get_tools(self) -> list[BaseTool]:
        return [
            self._video_info(),
            self._search_moments(),
            self._describe_segment(),
            self._ask_frames(),
            self._search_speech(),
            self._read_transcript(),
            self._read_screen_text(),
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

    def _search_speech(self) -> BaseTool:
        def search_speech(query: str, k: int = 5) -> tuple[str, list[dict]]:
            with user_errors_to_model():
                hits = self.video.transcribe().find(query, k)
            return render.speech_hits_text(query, hits), [h.to_dict() for h in hits]

        return _tool(search_speech, SearchSpeechInput)

    def _read_transcript(self) -> BaseTool:
        def read_transcript(start: float, end: float) -> tuple[str, list[dict]]:
            with user_errors_to_model():
                start, end = checked_range(start, end, self.video.info.duration)
                segments = self.video.transcribe().between(start, end)
            return render.transcript_text(start, end, segments), [s.to_dict() for s in segments]

        return _tool(read_transcript, TimeRangeInput)

    def _read_screen_text(self) -> BaseTool:
        def read_screen_text(start: float, end: float) -> tuple[str, list[dict]]:
            with user_errors_to_model():
                start, end = checked_range(start, end, self.video.info.duration)
                spans = self.video.read_text().between(start, end)
            return render.screen_text(start, end, spans), [s.to_dict() for s in spans]

        return _tool(read_screen_text, TimeRangeInput)


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
