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
    video = videoscout.open_video(rgb_video, model="fake:colour")
    return {tool.name: tool for tool in VideoToolkit(video=video).get_tools()}


def test_toolkit_offers_info_and_search(tools):
    assert set(tools) == {"video_info", "search_moments"}
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
