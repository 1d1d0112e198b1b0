"""LangChain tools: results travel as artifacts, user-caused failures come back as messages."""

from __future__ import annotations

import pytest

import videoscout
from videoscout.prompts import load_prompt
from videoscout.tools import VideoToolkit


def call(tool, args: dict):
    return tool.invoke({"type": "tool_call", "id": "call-1", "name": tool.name, "args": args})


@pytest.fixture
def tools(rgb_video, colour_model):
    video = videoscout.open_video(rgb_video, model="fake:colour", captioner="random:vs-tiny-coca")
    return {tool.name: tool for tool in VideoToolkit(video=video).get_tools()}


def test_toolkit_offers_info_search_captions_and_questions(tools):
    assert set(tools) == {"video_info", "search_moments", "describe_segment", "ask_frames"}
    assert tools["search_moments"].description == load_prompt("tools/search_moments")
    assert set(tools["search_moments"].args) == {"query", "k"}


def test_search_tool_returns_text_and_moments(tools):
    message = call(tools["search_moments"], {"query": "green", "k": 2})
    assert message.status == "success"
    best = message.artifact[0]
    assert (best["start"], best["end"]) == pytest.approx((3.0, 6.0), abs=0.11)
    assert message.content.splitlines()[1].startswith("1. 0:03.00-0:06.00")


def test_video_info_tool(tools, rgb_video):
    message = call(tools["video_info"], {})
    assert message.content.startswith("rgb.mp4: 0:11.9")  # 120 frames at 10 fps
    assert "120 frames, 96x64, with audio" in message.content
    assert message.artifact == videoscout.open_video(rgb_video).info.to_dict()


def test_user_errors_go_back_to_the_model(tools):
    message = call(tools["search_moments"], {"query": "  "})
    assert message.status == "error"
    assert "query is empty" in message.content


def test_programming_errors_propagate(tools, monkeypatch):
    def broken(*args, **kwargs):
        raise TypeError("a bug")

    monkeypatch.setattr(videoscout.Video, "search", broken)
    with pytest.raises(TypeError, match="a bug"):
        call(tools["search_moments"], {"query": "red"})


def test_prompts_are_package_data():
    assert "moments" in load_prompt("tools/search_moments")
    with pytest.raises(FileNotFoundError, match="no prompt named"):
        load_prompt("tools/nothing")


def test_describe_segment_and_ask_frames(tools):
    message = call(tools["describe_segment"], {"start": "0:03", "end": "9", "frames": 3})
    assert message.status == "success"
    assert [round(c["time"], 1) for c in message.artifact["captions"]] == [4.0, 6.0, 8.0]
    assert message.content.startswith("0:03.00-0:09.00 (random:vs-tiny-coca):")
    message = call(tools["ask_frames"], {"question": "what colour?", "times": ["1", "0:07"]})
    assert message.status == "success" and message.artifact["times"] == [1.0, 7.0]
    assert message.content.startswith(message.artifact["answer"])


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("describe_segment", {"start": "0:30", "end": "0:40"}, "runs 0:00-0:11.9"),
        ("describe_segment", {"start": "5", "end": "2"}, "end must come after the start"),
        ("describe_segment", {"start": "soon", "end": "2"}, "invalid time 'soon'"),
        ("ask_frames", {"question": "what?"}, "say where to look"),
        ("ask_frames", {"question": "what?", "times": ["99"]}, "outside the video"),
    ],
)
def test_caption_tools_explain_bad_arguments(tools, name, args, expected):
    message = call(tools[name], args)
    assert message.status == "error" and expected in message.content
