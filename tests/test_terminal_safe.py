"""Text from a user, a file name or a video never drives the terminal: control characters and
escape sequences (here clear-screen, ESC [2J, and the one-byte CSI, U+009B) are shown as
escapes in text output; JSON keeps the exact string."""

from __future__ import annotations

import io
import json
import re
import shutil

import pytest
from click.testing import CliRunner

import videoscout
from videoscout.cli.main import cli
from videoscout.models import register, unregister
from videoscout.models.captioner import GREEDY
from videoscout.models.chat_models import register_chat_model, unregister_chat_model
from videoscout.render import terminal_safe
from videoscout.repl import ChatLoop, plain_console

from fake_chat import decision, scripted
from fakes import ColourCaptioner

HOSTILE = "\x1b[2J\x9b"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def assert_terminal_safe(text: str) -> None:
    assert not _CONTROL.search(text), repr(text)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


class HostileCaptioner(ColourCaptioner):
    """Captions and answers that carry escape sequences, as OCR or a model's text may."""

    def caption(self, images, decoding=GREEDY):
        return [f"{text} {HOSTILE}" for text in super().caption(images, decoding)]

    def answer_each(self, images, question, decoding=GREEDY):
        return [f"{HOSTILE}{text}" for text in super().answer_each(images, question, decoding)]


@pytest.fixture
def hostile_captioner():
    register("fake:hostile", lambda spec: HostileCaptioner(spec), "captioner", "test fake")
    yield "fake:hostile"
    unregister("fake:hostile", "captioner")


@pytest.fixture
def hostile_video(rgb_video, tmp_path):
    """The test clip under a file name holding escape sequences."""
    return shutil.copy(rgb_video, tmp_path / f"clip{HOSTILE}.mp4")


def test_controls_become_visible_escapes_and_the_rest_stays():
    assert terminal_safe("a\x1b[2Jb\x9bc\x00\x07\r\x7f") == r"a\x1b[2Jb\x9bc\x00\x07\x0d\x7f"
    assert terminal_safe("line\n\tnext, é, 日本, ✓") == "line\n\tnext, é, 日本, ✓"


def test_search_shows_the_query_and_file_name_as_escapes(hostile_video, colour_model):
    query = f"green{HOSTILE}"
    code, out, err = run("search", str(hostile_video), query, "-m", "fake:colour", "-k", "1")
    assert code == 0
    assert_terminal_safe(out + err)
    assert out.splitlines()[0] == r'clip\x1b[2J\x9b.mp4: "green\x1b[2J\x9b" (fake:colour)'


def test_json_keeps_the_exact_strings(hostile_video, colour_model):
    query = f"green{HOSTILE}"
    code, out, _ = run("search", str(hostile_video), query, "-m", "fake:colour", "--json")
    assert code == 0
    assert_terminal_safe(out)  # JSON writes them as \u001b and \u009b
    report = json.loads(out)
    assert report["query"] == query and report["video"] == str(hostile_video)


def test_info_shows_the_file_name_as_escapes(hostile_video):
    code, out, _ = run("info", str(hostile_video))
    assert code == 0
    assert_terminal_safe(out)
    assert r"clip\x1b[2J\x9b.mp4" in out
    assert json.loads(run("info", str(hostile_video), "--json")[1])["path"] == str(hostile_video)


def test_captions_and_answers_are_shown_as_escapes(rgb_video, hostile_captioner):
    code, out, _ = run("caption", str(rgb_video), "-c", hostile_captioner, "--frames", "2")
    assert code == 0
    assert_terminal_safe(out)
    assert r"a red screen \x1b[2J\x9b" in out
    code, out, _ = run("vqa", str(rgb_video), "which colour?", "-c", hostile_captioner, "--at", "1")
    assert code == 0
    assert_terminal_safe(out)
    assert out.startswith(r"\x1b[2J\x9bred  (looked at 0:01.00)")
    code, out, _ = run(
        "caption", str(rgb_video), "-c", hostile_captioner, "--frames", "2", "--json"
    )
    assert json.loads(out)["captions"][0]["text"] == f"a red screen {HOSTILE}"


def test_ask_shows_the_question_as_escapes(rgb_video, colour_model, colour_captioner):
    question = f"when does the green{HOSTILE} appear?"
    args = ("ask", str(rgb_video), question, "-m", "fake:colour", "-c", "fake:colour", "--steps")
    code, out, err = run(*args)
    assert code == 0
    assert_terminal_safe(out + err)


@pytest.mark.parametrize(
    "args",
    [
        [f"search{HOSTILE}"],
        ["search", "{v}", "red", f"--bogus{HOSTILE}"],
        ["search", "{v}", "red", f"extra{HOSTILE}"],
        ["search", f"/nowhere/clip{HOSTILE}.mp4", "red"],
        ["search", "{v}", "red", "-m", f"nope{HOSTILE}"],
        ["vqa", "{v}", "what?", "--at", f"1{HOSTILE}"],
    ],
)
def test_errors_quote_what_was_typed_as_escapes(rgb_video, args):
    argv = [a.replace("{v}", str(rgb_video)) for a in args]
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code != 0
    assert_terminal_safe(result.output)
    assert r"\x1b[2J\x9b" in result.output


@pytest.fixture
def video(hostile_video, colour_model, hostile_captioner):
    return videoscout.open_video(hostile_video, model="fake:colour", captioner=hostile_captioner)


def test_the_chat_shows_what_was_typed_and_answered_as_escapes(video, tmp_path):
    out = io.StringIO()
    loop = ChatLoop(video.agent(), plain_console(out), echo=True)
    for line in (
        f"when does the green{HOSTILE} appear?",
        f"/search green{HOSTILE}",
        "/look 1 which colour?",
        "/describe 0:00-0:03",
        f"/bogus{HOSTILE}",
        f"/save {tmp_path / 'chat.md'}",
    ):
        loop.handle(line)
    shown = out.getvalue()
    assert_terminal_safe(shown)
    assert r"? when does the green\x1b[2J\x9b appear?" in shown
    assert r'moments matching "green\x1b[2J\x9b":' in shown
    assert r"\x1b[2J\x9bred  (looked at 0:01.00)" in shown
    assert r"error: unknown command /bogus\x1b[2j\x9b" in shown  # command names are lower-cased
    assert_terminal_safe((tmp_path / "chat.md").read_text())


def test_a_chat_model_answer_is_shown_as_escapes(video):
    model = scripted([decision("answer"), f"{HOSTILE}Blue is at [0:06.00-0:09.00]."])
    register_chat_model("fake:chat", lambda spec: model)
    try:
        out = io.StringIO()
        ChatLoop(video.agent("fake:chat"), plain_console(out)).handle("what is blue?")
    finally:
        unregister_chat_model("fake:chat")
    assert_terminal_safe(out.getvalue())
    assert r"\x1b[2J\x9bBlue is at" in out.getvalue()


def test_chat_from_a_pipe_and_its_json(hostile_video, colour_model, colour_captioner):
    args = ["chat", str(hostile_video), "-m", "fake:colour", "-c", "fake:colour"]
    lines = f"when does the green{HOSTILE} appear?\n/search red{HOSTILE}\n"
    result = CliRunner().invoke(cli, args, input=lines)
    assert result.exit_code == 0
    assert_terminal_safe(result.output)
    result = CliRunner().invoke(cli, [*args, "--json"], input=lines)
    assert_terminal_safe(result.stdout)
    shown = [json.loads(line) for line in result.stdout.splitlines()]
    assert shown[1]["text"].startswith(f'moments matching "red{HOSTILE}":')


def test_caption_report_tables_show_escapes_and_markup_as_text(capsys):
    from pathlib import Path

    from videoscout.metrics.compare import CaptionerReport
    from videoscout.metrics.references import ReferenceItem
    from videoscout.metrics.report import print_tables

    items = [ReferenceItem(Path("clip\x1b[2J.mp4"), 1.0, ("a [bold]red[/bold] car",))]
    report = CaptionerReport(
        captioner="toy:coca",
        scores={"CIDEr-D": 0.5},
        signatures={"BLEU": "sig"},
        captions=["a red car\x9b2J [red]x[/red]"],
        per_item={"CIDEr-D": [0.5]},
    )
    print_tables([report], items)
    out = capsys.readouterr().out
    assert "\x1b[2J" not in out and "\x9b" not in out
    assert "[bold]red[/bold]" in out and "[red]x[/red]" in out
