"""Small slips get clear answers: malformed times, text that starts with "-", wrong types in the
Python API, and numbers so large that they would ask for gigabytes."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import videoscout
from videoscout.cli.main import cli
from videoscout.errors import InvalidTimeError, UsageError
from videoscout.timefmt import parse_time
from videoscout.video import Sampling


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("83.5", 83.5),
        ("83.5s", 83.5),
        (" 1:05 ", 65.0),
        ("1:23.5", 83.5),
        ("0:59.99", 59.99),
        ("90:00", 5400.0),
        ("1:02:03", 3723.0),
        (83, 83.0),
        (1.5, 1.5),
    ],
)
def test_times_that_read(text, seconds):
    assert parse_time(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1:-55", "without signs"),
        ("-1:30", "without signs"),
        ("1:75", "below 60 (write 2:15.00 or plain seconds)"),
        ("1:60", "below 60"),
        ("1:60:00", "below 60"),
        ("1.5:30", "[H:]MM:SS"),
        ("1::2", "[H:]MM:SS"),
        ("1:2:3:4", "[H:]MM:SS"),
        ("-5", "cannot be negative"),
        ("nan", "use seconds"),
        ("inf", "use seconds"),
        (float("nan"), "use seconds"),
        ("", "use seconds"),
        ("soon", "use seconds"),
    ],
)
def test_times_that_are_refused(text, message):
    with pytest.raises(InvalidTimeError, match="invalid time") as caught:
        parse_time(text)
    assert message in str(caught.value)


@pytest.mark.parametrize("value", [None, [1], True, b"12"])
def test_a_time_of_the_wrong_type_is_a_type_error(value):
    with pytest.raises(TypeError, match="a time is seconds"):
        parse_time(value)


def test_vqa_refuses_a_negative_part_instead_of_reading_1_minus_55_as_5(
    rgb_video, colour_captioner
):
    code, out, err = run("vqa", str(rgb_video), "colour?", "--at", "1:-55", "-c", "fake:colour")
    assert code == 2 and out == ""
    assert err == (
        "videoscout: error: invalid time '1:-55': use seconds (83.5) or [H:]MM:SS[.ff], "
        "without signs or spaces\n"
    )


def test_text_starting_with_a_dash_says_to_put_two_dashes_before_it(rgb_video, colour_model):
    code, out, err = run("search", str(rgb_video), "-red car", "-m", "fake:colour")
    assert code == 2
    fixed = f"cli search {rgb_video} -m fake:colour -- '-red car'"
    assert f"To pass text starting with \"-\" such as '-red car', put -- before it: {fixed}" in err
    code, out, _ = run("search", str(rgb_video), "-m", "fake:colour", "--", "-red car")
    assert code == 0 and out.startswith(f'{rgb_video.name}: "-red car" (fake:colour)')
    code, _, err = run("ask", str(rgb_video), "-5 cars?")
    assert code == 2 and f"put -- before it: cli ask {rgb_video} -- '-5 cars?'" in err


def test_a_mistyped_option_keeps_clicks_message(rgb_video):
    code, _, err = run("search", str(rgb_video), "red", "--mode", "fake:colour")
    assert code == 2
    assert "No such option '--mode'. Did you mean '--model'?" in err
    assert "put --" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "{v}", "red", "--fps", "1e9"], "'--fps': 1000000000.0 is not in the range 0<x"),
        (["search", "{v}", "red", "--fps", "0"], "'--fps': 0.0 is not in the range 0<x<=1000"),
        (["index", "{v}", "--fps", "nan"], "sampling rate must be positive and finite, got nan"),
        (["search", "{v}", "red", "-k", "5000"], "5000 is not in the range 1<=x<=1000"),
        (["caption", "{v}", "--frames", "1000000"], "1000000 is not in the range 1<=x<=10000"),
        (["vqa", "{v}", "what?", "--range", "0-5", "--frames", "0"], "0 is not in the range 1<="),
        (["caption", "{v}", "--every", "0.000001"], "too many (at most 10000)"),
    ],
)
def test_numbers_out_of_range_are_usage_errors(
    rgb_video, colour_model, colour_captioner, args, message
):
    fakes = ["-c", "fake:colour"] if args[0] in ("caption", "vqa") else ["-m", "fake:colour"]
    result = CliRunner().invoke(cli, [a.replace("{v}", str(rgb_video)) for a in args] + fakes)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


@pytest.fixture
def video(rgb_video, colour_model, colour_captioner):
    return videoscout.open_video(rgb_video, model="fake:colour", captioner="fake:colour")


@pytest.mark.parametrize(
    ("slip", "error", "message"),
    [
        (lambda v: v.search(123), TypeError, "search query must be a string"),
        (lambda v: v.search("red", k="3"), TypeError, "k must be a whole number from 1 to 1000"),
        (lambda v: v.search("red", k=2.5), TypeError, "not float 2.5"),
        (lambda v: v.search("red", k=5000), UsageError, "at most 1000, got 5000"),
        (lambda v: v.search_captions(None), TypeError, "search query must be a string"),
        (lambda v: v.frames_at(["abc"]), InvalidTimeError, "invalid time 'abc'"),
        (lambda v: v.frames_at(3), TypeError, "times must be a list of times"),
        (lambda v: v.frames_at("1"), TypeError, "times must be a list of times"),
        (lambda v: v.frames_at([1], size=(0, 5)), UsageError, "at least 1"),
        (lambda v: v.frames_at([1], size=96), TypeError, "(width, height)"),
        (lambda v: v.look(123, at=[1]), TypeError, "question must be a string"),
        (lambda v: v.look("what?", at=1), TypeError, "at must be a list of times"),
        (lambda v: v.look("what?", at=[None]), TypeError, "each of at must be a time"),
        (lambda v: v.look("what?", start=1, end=5, frames=0), UsageError, "frames must be"),
        (lambda v: v.caption("abc"), InvalidTimeError, "invalid time 'abc'"),
        (lambda v: v.caption(frames="3"), TypeError, "frames must be a whole number"),
        (lambda v: v.caption(frames=10**12), UsageError, "at most 10000"),
        (lambda v: v.caption(every=1e-9), UsageError, "too many (at most 10000)"),
        (lambda v: v.caption(decoding="beam"), TypeError, "Decoding(method='beam')"),
        (lambda v: v.index(sampling="uniform"), TypeError, "videoscout.Sampling"),
    ],
)
def test_api_slips_raise_the_documented_errors(video, slip, error, message):
    with pytest.raises(error) as caught:
        slip(video)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("slip", "error", "message"),
    [
        (lambda p: videoscout.search(123, "red"), TypeError, "video path must be a str"),
        (lambda p: videoscout.open_video(p, model=123), TypeError, "spec string"),
        (lambda p: videoscout.open_video(p, sampling="uniform"), TypeError, "Sampling("),
        (lambda p: videoscout.open_video(p, sampling=Sampling(fps=1e9)), UsageError, "at most"),
        (lambda p: videoscout.open_video(p, cache_dir=1), TypeError, "cache_dir must be a str"),
        (lambda p: videoscout.ask(p, 123), TypeError, "question must be a string"),
        (lambda p: videoscout.look(p, "what?", at="1"), TypeError, "list of times"),
    ],
)
def test_one_liner_slips_raise_the_documented_errors(rgb_video, slip, error, message):
    with pytest.raises(error) as caught:
        slip(rgb_video)
    assert message in str(caught.value)


def test_api_times_may_be_written_as_text(video):
    assert video.frames_at(["0:01", 4.5]).timestamps.tolist() == pytest.approx([1.0, 4.5])
    assert video.look("which colour?", at=["0:07"]).answer == "blue"
    described = video.caption("0:03", "0:09", frames=3)
    assert [c.text for c in described.captions] == ["a green screen"] + ["a blue screen"] * 2
