"""Search across channels: the picture, what is said, what is written, fused into one list."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import videoscout
from videoscout.cli.main import cli
from videoscout.errors import UsageError
from videoscout.retrieval import Moment
from videoscout.retrieval.fusion import fuse, timed_moments
from videoscout.speech import SpeechHit


def frames(*windows) -> list[Moment]:
    return [Moment(i, s, e, 0.5, s) for i, (s, e) in enumerate(windows, 1)]


def said(*hits) -> list[Moment]:
    return timed_moments([SpeechHit(s, e, text, score, i) for i, (s, e, text, score) in
                          enumerate(hits)], "speech")  # fmt: skip


def test_a_moment_found_in_two_channels_outranks_one_found_in_either():
    fused = fuse(
        {
            "frames": frames((0, 4), (20, 25)),
            "speech": said((30, 32, "a red car drives by", 3.0), (21, 23, "the red car", 2.5)),
        },
        k=5,
    )
    top = fused[0]
    assert (top.start, top.end, top.found_in) == (20, 25, ("frames", "speech"))
    assert top.quotes == ("the red car",)
    assert [m.rank for m in fused] == [1, 2, 3]
    assert {(m.start, m.found_in) for m in fused[1:]} == {(0, ("frames",)), (30, ("speech",))}


def test_text_hits_far_below_the_best_are_left_out_and_words_win_ties():
    hits = said((10, 12, "scene 2", 4.0), (0, 2, "scene 1", 1.0))
    assert [m.quotes for m in hits] == [("scene 2",)]
    fused = fuse({"frames": frames((40, 44)), "speech": hits}, k=2)
    assert fused[0].found_in == ("speech",)


@pytest.mark.parametrize("bad", ["pictures", "", "frames,audio"])
def test_unknown_channels_name_the_valid_ones(rgb_video, colour_model, bad):
    video = videoscout.open_video(rgb_video, model="fake:colour")
    with pytest.raises(UsageError, match="frames, speech, text or all"):
        video.search("blue", within=bad)


def test_search_in_text_and_frames_fuses_the_two(rgb_video, colour_model, colour_reader):
    video = videoscout.open_video(rgb_video, model="fake:colour", ocr=colour_reader.spec)
    on_screen = video.search("blue", k=3, within="text")
    assert [(m.start, m.end, m.found_in, m.quotes) for m in on_screen] == [
        (6.0, 9.0, ("text",), ("blue",))
    ]
    both = video.search("blue", k=3, within="frames,text")
    assert both[0].found_in == ("frames", "text") and 6.0 <= both[0].peak < 9.0
    assert video.search("blue", k=3) == video.search("blue", k=3, within="frames")


def test_the_cli_labels_where_each_moment_was_found(
    rgb_video, colour_model, colour_reader, monkeypatch
):
    monkeypatch.setenv("VIDEOSCOUT_OCR", colour_reader.spec)
    runner = CliRunner()
    args = ["search", str(rgb_video), "green", "--model", "fake:colour", "--in", "frames,text"]
    out = runner.invoke(cli, args)
    assert out.exit_code == 0, out.output
    first = out.output.splitlines()[1]
    assert "0:03.00 - 0:06.00" in first and 'in frames+text: "green"' in first
    report = json.loads(runner.invoke(cli, [*args, "--json"]).output)
    assert report["in"] == ["frames", "text"]
    assert report["moments"][0]["found_in"] == ["frames", "text"]
    assert report["moments"][0]["quotes"] == ["green"]
    bad = runner.invoke(cli, ["search", str(rgb_video), "green", "--in", "audio"])
    assert bad.exit_code == 2 and "frames, speech, text or all" in bad.output


def test_a_merged_moment_takes_its_best_frame_from_the_picture_and_lists_channels_in_order():
    speech_first = said((10, 12, "the red car", 3.0))
    fused = fuse({"speech": speech_first, "frames": [Moment(1, 9, 14, 0.4, 13.0)]}, k=1)
    assert fused[0].peak == 13.0 and fused[0].found_in == ("frames", "speech")


def test_one_channel_keeps_its_own_scores_and_a_list_of_channels_is_accepted(
    rgb_video, colour_model, colour_reader, narrator
):
    video = videoscout.open_video(
        rgb_video, model="fake:colour", ocr=colour_reader.spec, asr=narrator.spec
    )
    heard = video.search("comes blue", within="speech")
    assert heard[0].quotes == ("and here comes blue",) and heard[0].score > 1.0  # BM25
    both = video.search("blue", within=["speech", "text"])
    assert both[0].found_in == ("speech", "text")


def test_screen_text_and_transcript_take_times_as_text_and_check_them(
    rgb_video, colour_model, colour_reader, narrator
):
    from videoscout.errors import InvalidTimeError

    video = videoscout.open_video(rgb_video, ocr=colour_reader.spec, asr=narrator.spec)
    text = video.read_text()
    assert [s.text for s in text.at("0:04")] == ["green"]
    assert [s.text for s in text.between("0:02", 7)] == ["red", "green", "blue"]
    with pytest.raises(InvalidTimeError, match="outside the video"):
        text.at(99)
    said = video.transcribe().between("0:02", 8)
    assert [s.text for s in said] == ["now it is green", "and here comes blue"]
    with pytest.raises(TypeError):
        text.find(123)


def test_a_search_that_finds_nothing_says_so(rgb_video, colour_model, colour_reader, monkeypatch):
    monkeypatch.setenv("VIDEOSCOUT_OCR", colour_reader.spec)
    out = CliRunner().invoke(cli, ["search", str(rgb_video), "purple", "--in", "text"])
    assert out.exit_code == 0
    assert out.output.splitlines() == [
        f'rgb.mp4: "purple" ({colour_reader.spec})',
        "  no moments found",
    ]
