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


def test_toolkit_offers_info_search_captions_questions_speech_and_screen_text(tools):
    assert set(tools) == {
        "video_info",
        "search_moments",
        "describe_segment",
        "ask_frames",
        "search_speech",
        "read_transcript",
        "read_screen_text",
    }
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


@pytest.fixture
def heard_tools(rgb_video, colour_model, narrator, colour_reader):
    video = videoscout.open_video(
        rgb_video, model="fake:colour", asr=narrator.spec, ocr=colour_reader.spec
    )
    return {tool.name: tool for tool in VideoToolkit(video=video).get_tools()}


def test_speech_tools_search_and_read_what_is_said_with_times(heard_tools):
    found = call(heard_tools["search_speech"], {"query": "blue", "k": 2})
    assert found.status == "success"
    assert found.content.splitlines()[1] == '1. 0:06.30-0:07.50 "and here comes blue"'
    assert found.artifact[0]["start"] == 6.3
    said = call(heard_tools["read_transcript"], {"start": "0:02", "end": 8})
    assert [s["text"] for s in said.artifact] == ["now it is green", "and here comes blue"]
    nothing = call(heard_tools["read_transcript"], {"start": 1.5, "end": 3.0})
    assert nothing.content == "nothing is said in 0:01.50-0:03.00"


def test_screen_text_tool_reads_what_is_written_in_a_range(heard_tools):
    shown = call(heard_tools["read_screen_text"], {"start": 4, "end": 5})
    assert shown.content == 'on screen in 0:04.00-0:05.00:\n0:03.00-0:06.00 "green"'
    late = call(heard_tools["read_screen_text"], {"start": 30, "end": 31})
    assert late.status == "error" and "outside the video" in late.content


def test_speech_tools_on_a_video_without_audio_say_so(tmp_path, colour_model):
    from synthetic import colour_segments

    silent = colour_segments(tmp_path / "silent.mp4", [("red", 2)])
    video = videoscout.open_video(silent, model="fake:colour")
    tools = {tool.name: tool for tool in VideoToolkit(video=video).get_tools()}
    message = call(tools["search_speech"], {"query": "red"})
    assert message.status == "error" and "no audio" in message.content
