"""The agent hears and reads: what is said when something appears, at a time, when words are
said; the text on screen at a time. Quotes are cited with the times the tools returned."""

from __future__ import annotations

import pytest

import videoscout

from synthetic import colour_segments


@pytest.fixture
def video(rgb_video, colour_model, colour_captioner, narrator, colour_reader):
    return videoscout.open_video(
        rgb_video,
        model="fake:colour",
        captioner="fake:colour",
        asr=narrator.spec,
        ocr=colour_reader.spec,
    )


def test_what_is_said_right_after_something_appears_is_quoted_with_its_time(video):
    answer = video.agent().ask("what does the narrator say right after the blue screen appears?")
    assert '"and here comes blue" [0:06.30-0:07.50]' in answer.text
    assert answer.found
    cited = {(c.start, c.end) for c in answer.citations}
    assert (6.3, 7.5) in cited
    assert [s.kind for s in answer.steps][:2] == ["search", "listen"]


def test_what_is_said_when_something_leaves_starts_at_its_end(video):
    answer = video.agent().ask("what is said when the green screen leaves?")
    assert '"and here comes blue"' in answer.text and "leaves (at 0:06" in answer.text


def test_what_is_said_at_a_time_and_when_words_are_said(video):
    agent = video.agent()
    at = agent.ask("what does the narrator say at 0:09.5?")
    assert at.text == 'You hear "finally yellow" [0:09.20-0:10.60].'
    assert at.notes == []
    when = agent.ask("when does the narrator say 'comes blue'?")
    # Only passages sharing what makes the words specific: not every "the ... is" passage.
    assert when.text == 'Said in the video: "and here comes blue" [0:06.30-0:07.50].'


def test_the_text_on_screen_at_a_time_is_read(video):
    answer = video.agent().ask("what is written on screen at 0:04?")
    assert answer.text == 'The text on screen: "green" [0:03.00-0:06.00].'
    assert [(c.start, c.end) for c in answer.citations] == [(3.0, 6.0)]
    assert answer.notes == []


def test_a_time_past_the_end_is_refused_with_the_videos_range(video):
    answer = video.agent().ask("what is written on screen at 5:00?")
    assert "outside the video (it runs 0:00-0:11.9" in answer.text
    assert "before it starts" not in answer.text and answer.citations == []


def test_what_is_said_after_something_is_heard_once(video):
    answer = video.agent().ask("what does the narrator say right after the green screen appears?")
    assert [s.kind for s in answer.steps].count("hear") == 1


def test_a_video_without_audio_says_nothing_can_be_heard(tmp_path, colour_model, colour_captioner):
    silent = colour_segments(tmp_path / "silent.mp4", [("red", 2), ("blue", 2)])
    video = videoscout.open_video(silent, model="fake:colour", captioner="fake:colour")
    answer = video.agent().ask("what does the narrator say at 0:01?")
    assert answer.text == "Nothing can be heard: the video has no audio track."
    assert not answer.found


def test_unheard_words_are_an_honest_not_found(video):
    answer = video.agent().ask("when does the narrator say 'purple elephant'?")
    assert answer.text == 'I could not hear "purple elephant" in what is said.'
    assert not answer.found and answer.citations == []
