"""A malformed tool call comes back to the model as a message it can act on: the argument, what
was given and what is valid. Times are read as numbers or strings."""

from __future__ import annotations

import pytest

import videoscout
from videoscout.tools import VideoToolkit


def call(tool, args: dict):
    return tool.invoke({"type": "tool_call", "id": "call-1", "name": tool.name, "args": args})


@pytest.fixture
def tools(rgb_video, colour_model, colour_captioner):
    video = videoscout.open_video(rgb_video, model="fake:colour", captioner="fake:colour")
    return {tool.name: tool for tool in VideoToolkit(video=video).get_tools()}


TIMES = '(83.5, "83.5") or M:SS ("1:23.5")'


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("search_moments", {"query": "red", "k": 1000}, ["k: got 1000", "from 1 to 20"]),
        ("search_moments", {"query": "red", "k": 0}, ["k: got 0", "from 1 to 20"]),
        ("search_moments", {"query": "red", "k": "five"}, ["k: got 'five'", "from 1 to 20"]),
        ("search_moments", {"k": 3}, ["query: missing", "what is visible in the moment"]),
        ("search_moments", {"query": ["red"]}, ["query: got ['red']", "a valid string"]),
        ("search_moments", {"query": "red", "top_k": 3}, ["top_k: no such argument", "query, k"]),
        ("describe_segment", {"start": "1"}, ["end: missing", "end time"]),
        ("describe_segment", {"start": 1, "end": 4, "frames": 100}, ["frames: got 100", "1 to 32"]),
        ("describe_segment", {"start": "1:-5", "end": "4"}, ["start: got '1:-5'", TIMES]),
        ("describe_segment", {"start": [1], "end": "4"}, ["start: got [1]", "not list", TIMES]),
        ("ask_frames", {"times": [3.5, 4]}, ["question: missing", "a question about"]),
        (
            "ask_frames",
            {"question": "what?", "times": [1, "soon"]},
            ["times[1]: got 'soon'", TIMES],
        ),
        ("ask_frames", {"question": "what?", "times": [1, None]}, ["times[1]: got None", TIMES]),
        ("ask_frames", {"question": "what?", "start": "nan", "end": 2}, ["start: got 'nan'"]),
        (
            "ask_frames",
            {"question": "what?", "time": 1},
            ["time: no such argument", "times, start"],
        ),
    ],
)
def test_a_malformed_call_names_the_argument_and_what_is_valid(tools, name, args, expected):
    message = call(tools[name], args)
    assert message.status == "error"
    assert message.content.startswith(f"{name} was not run: its arguments are invalid.")
    for part in expected:
        assert part in message.content


def test_every_problem_of_a_call_is_listed(tools):
    message = call(tools["describe_segment"], {"start": "soon", "frames": 0})
    problems = message.content.splitlines()[1:]
    assert [p.split(":")[0] for p in problems] == ["- start", "- end", "- frames"]


def test_a_plain_invoke_gets_the_same_message(tools):
    assert "k: got 1000" in tools["search_moments"].invoke({"query": "red", "k": 1000})


@pytest.mark.parametrize(
    ("start", "end"), [(3, 9), (3.0, 9.0), ("3", "9"), ("0:03", "0:09"), ("0:03.0", 9)]
)
def test_times_are_numbers_or_strings(tools, start, end):
    message = call(tools["describe_segment"], {"start": start, "end": end, "frames": 3})
    assert message.status == "success", message.content
    assert [c["time"] for c in message.artifact["captions"]] == pytest.approx([4, 6, 8], abs=0.1)


@pytest.mark.parametrize("times", [[1, 7.0], [1.0, "0:07"], ["1", "7"], "1,0:07"])
def test_frame_times_are_numbers_or_strings(tools, times):
    message = call(tools["ask_frames"], {"question": "which colour?", "times": times})
    assert message.status == "success", message.content
    assert message.artifact["times"] == [1.0, 7.0]
    assert message.artifact["per_frame"] == ["red", "blue"]


def test_one_time_on_its_own_is_a_list_of_one(tools):
    message = call(tools["ask_frames"], {"question": "which colour?", "times": 4.5})
    assert message.status == "success" and message.artifact["times"] == [4.5]


def test_the_schema_shown_to_the_model_allows_numbers_and_strings(tools):
    schema = tools["describe_segment"].tool_call_schema.model_json_schema()
    assert schema["properties"]["start"]["anyOf"] == [{"type": "number"}, {"type": "string"}]
    assert schema["properties"]["frames"]["maximum"] == 32


def test_a_failure_inside_the_tool_is_a_readable_message(tools):
    message = call(tools["describe_segment"], {"start": 30, "end": 40})
    assert message.status == "error"
    assert "outside the video; the video runs 0:00-0:11.9" in message.content
