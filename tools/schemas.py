"""The arguments each tool takes, as pydantic models: what the model is shown, and what its
calls are checked against before a tool runs."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from videoscout.timefmt import parse_time

MAX_MOMENTS = 20
MAX_FRAMES = 32
TIME_FORMS = 'seconds as a number or text (83.5, "83.5") or M:SS ("1:23.5")'


def _seconds(value: object) -> float:
    try:
        return parse_time(value)
    except TypeError as exc:  # pydantic reports a ValueError as this argument's problem
        raise ValueError(str(exc)) from None


def _listed(value: object) -> object:
    """One time, or times in one string ("1:23,1:40"), as a list: a slip models often make."""
    if isinstance(value, str):
        return [part for part in value.split(",") if part.strip()]
    if isinstance(value, (int, float)):
        return [value]
    return value


#: A time in seconds, given as a number or as text; the schema shown to the model says both.
Time = Annotated[
    float,
    BeforeValidator(_seconds),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string"}]}),
]


class _Arguments(BaseModel):
    # A misspelt argument would otherwise be dropped and the call answered as if it were absent.
    model_config = ConfigDict(extra="forbid")


def _how_many(things: str):
    return Field(
        default=5,
        ge=1,
        le=MAX_MOMENTS,
        description=f"How many {things} to return, a whole number from 1 to {MAX_MOMENTS}.",
    )


class SearchMomentsInput(_Arguments):
    query: str = Field(description="What is visible in the moment to find, in plain language.")
    k: int = _how_many("moments")


class VideoInfoInput(BaseModel):
    pass


class DescribeSegmentInput(_Arguments):
    start: Time = Field(description=f"Start time: {TIME_FORMS}.")
    end: Time = Field(description="End time, in the same forms; after the start.")
    frames: int = Field(
        default=6,
        ge=1,
        le=MAX_FRAMES,
        description=f"Frames to caption in the range, a whole number from 1 to {MAX_FRAMES}.",
    )


class AskFramesInput(_Arguments):
    question: str = Field(description="A question about what the frames show.")
    times: Annotated[list[Time], BeforeValidator(_listed)] = Field(
        default_factory=list, description=f"Times of the frames to look at: {TIME_FORMS}."
    )
    start: Time | None = Field(default=None, description="Or: start of a range to look at.")
    end: Time | None = Field(default=None, description="Or: end of that range.")


class SearchSpeechInput(_Arguments):
    query: str = Field(description="Words that may be said in the video.")
    k: int = _how_many("passages")


class TimeRangeInput(_Arguments):
    start: Time = Field(description=f"Start time: {TIME_FORMS}.")
    end: Time = Field(description="End time, in the same forms; after the start.")
