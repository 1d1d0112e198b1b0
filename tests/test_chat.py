"""`videoscout chat`, driven like a user: typed lines through prompt_toolkit's pipe input, lines
from a pipe, a saved session resumed, Ctrl-C in the middle of an answer, and a real terminal."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

import videoscout
from videoscout.cli.main import cli
from videoscout.models.chat_models import register_chat_model, unregister_chat_model
from videoscout.repl import ChatLoop, plain_console
from videoscout.repl.terminal import line_reader

from fake_chat import decision, scripted


@pytest.fixture
def video(rgb_video, colour_model, colour_captioner):
    return videoscout.open_video(rgb_video, model="fake:colour", captioner="fake:colour")


def typed(agent, keys: str, tmp_path: Path) -> str:
    """Everything the chat prints while ``keys`` are typed at its prompt."""
    out = io.StringIO()
    loop = ChatLoop(agent, plain_console(out))
    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        pipe.close()  # the end of the keys is the end of input, as Ctrl-D
        loop.run(line_reader(input=pipe, output=DummyOutput(), history=tmp_path / "history"))
    return out.getvalue()


def test_a_typed_conversation_without_a_chat_model(video, tmp_path):
    keys = (
        "when does the green appear?\r"
        "and after that?\r"
        "/search red\r"
        "/look 0:10 what colour is it?\r"
        "/bogus\r"
        "/he\r"
        "/save " + str(tmp_path / "t.md") + "\r"
        "/quit\r"
    )
    shown = typed(video.agent(), keys, tmp_path)
    lines = shown.splitlines()
    assert lines[:4] == [
        "The green appears once: [0:03.00-0:06.00].",
        "",
        "cited:",
        '  0:03.00-0:06.00     search "a green", frame 0:05.00: #1 score 1.000',
    ]
    assert "Right after the green leaves (at 0:06.00), a blue screen appears" in shown
    assert 'moments matching "red":\n1. 0:00.00-0:03.00 (score' in shown
    assert "yellow  (looked at 0:10.00)" in shown
    assert "error: unknown command /bogus; commands: /help, /search, /look," in shown
    assert "  /search QUERY " in shown  # /he is /help
    assert "saved 2 questions to" in shown
    saved = (tmp_path / "t.md").read_text()
    assert "**Q:** and after that?" in saved and "- 0:03.00-0:06.00" in saved
    assert (tmp_path / "history").read_text().count("when does the green appear?") == 1


def test_a_typed_conversation_with_a_scripted_chat_model(video, tmp_path):
    model = scripted(
        [
            decision("search", query="blue"),
            decision("answer"),
            "Blue is on screen at [0:06.00-0:09.00].",
        ]
    )
    register_chat_model("fake:chat", lambda spec: model)
    try:
        shown = typed(video.agent("fake:chat"), "what is blue?\r", tmp_path)
    finally:
        unregister_chat_model("fake:chat")
    assert shown == (
        "Blue is on screen at [0:06.00-0:09.00].\n"
        "\n"
        "cited:\n"
        '  0:06.00-0:09.00     search "a blue", frame 0:08.00: #1 score 1.000\n'
    )


def test_ctrl_c_cancels_an_answer_and_keeps_the_conversation(video, tmp_path):
    def interrupted(messages):
        raise KeyboardInterrupt

    model = scripted(
        [
            decision("answer"),
            "Green: [0:03.00-0:06.00].",
            interrupted,  # the user presses Ctrl-C while the model is deciding
            decision("answer"),
            "After it comes blue: [0:06.00-0:09.00].",
        ]
    )
    register_chat_model("fake:chat", lambda spec: model)
    try:
        agent = video.agent("fake:chat")
        out = io.StringIO()
        loop = ChatLoop(agent, plain_console(out))
        loop.handle("when does the green appear?")
        loop.handle("what is red?")
        loop.handle("and after that?")
    finally:
        unregister_chat_model("fake:chat")
    shown = out.getvalue()
    assert "(cancelled: the conversation is as it was before that question)" in shown
    assert [t["question"] for t in agent.history()] == [
        "when does the green appear?",
        "and after that?",
    ]
    # The cancelled question's evidence is gone: the follow-up saw only its own and turn 1's.
    assert "what is red" not in model.prompts[-1][-1].content


def test_ctrl_c_at_the_prompt_says_how_to_leave(video):
    out = io.StringIO()
    keys = iter([KeyboardInterrupt, "/quit"])

    def read():
        key = next(keys)
        if key is KeyboardInterrupt:
            raise KeyboardInterrupt
        return key

    ChatLoop(video.agent(), plain_console(out)).run(read)
    assert out.getvalue() == "(to leave, press Ctrl-D or type /quit)\n"


def test_questions_from_a_pipe_are_answered_one_by_one(rgb_video, colour_model, colour_captioner):
    args = ["chat", str(rgb_video), "-m", "fake:colour", "-c", "fake:colour"]
    result = CliRunner().invoke(
        cli,
        args,
        input="when does the blue appear?\n\n/look 1 what colour?\n",
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "? when does the blue appear?\nThe blue appears once: [0:06.00-0:09.00].\n"
    )
    assert "? /look 1 what colour?\nred  (looked at 0:01.00)" in result.stdout
    result = CliRunner().invoke(
        cli, [*args, "--json"], input="when does the blue appear?\nwhen does the purple appear?\n"
    )
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["found"] for a in answers] == [True, False]
    assert answers[0]["citations"][0]["start"] == 6.0


def test_a_named_session_is_resumed_later(rgb_video, colour_model, colour_captioner):
    args = ["chat", str(rgb_video), "-m", "fake:colour", "-c", "fake:colour", "--session", "s1"]
    first = CliRunner().invoke(cli, args, input="when does the green appear?\n")
    assert first.exit_code == 0, first.output
    later = CliRunner().invoke(cli, args, input="and after that?\n")  # another day
    assert "a blue screen appears" in later.stdout, later.stdout
    again = videoscout.open_video(rgb_video, model="fake:colour").agent(session="s1")
    assert [t["question"] for t in again.history()] == [
        "when does the green appear?",
        "and after that?",
    ]


@pytest.mark.slow
def test_a_real_terminal_shows_steps_cancels_with_ctrl_c_and_quits(tmp_path):
    """Through a pseudo-terminal: a question shows its steps and answer; Ctrl-C in the middle
    of a slow answer returns to the prompt; the next question is answered; /quit leaves."""
    import signal
    import threading
    import time

    pexpect = pytest.importorskip("pexpect")
    from videoscout.toy.generate import generate

    from openai_server import Reply, ScriptedOpenAIServer

    video, _ = generate(tmp_path / "toy.mp4", 60, 3)

    thinking = threading.Event()

    def slow(request):
        thinking.set()
        time.sleep(30)
        return Reply.tool_call("next_step", {"step": {"action": "answer"}})

    script = [
        Reply.tool_call("next_step", {"step": {"action": "answer"}}),
        Reply.text("I could not find it."),
        slow,
        Reply.tool_call("next_step", {"step": {"action": "answer"}}),
        Reply.text("I could not find that either."),
    ]
    env = {
        "VIDEOSCOUT_CACHE_DIR": str(tmp_path / "cache"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "HF_HUB_OFFLINE": "1",
        "TERM": "xterm",
        "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
    }
    with ScriptedOpenAIServer(script) as server:
        child = pexpect.spawn(
            sys.executable,
            ["-m", "videoscout.cli.main", "chat", str(video), "-m", "toy:coca", "-c",
             "toy:coca", "--llm", "openai:toy", "--llm-base-url", server.base_url],
            env=env, encoding="utf-8", timeout=120, dimensions=(40, 160),
            # As from a terminal, whatever this test runs under: a runner started in the
            # background ignores SIGINT, and an ignored SIGINT is inherited, so Ctrl-C would
            # never reach the chat.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )  # fmt: skip
        try:
            child.expect_exact("Ask a question about the video, or /help.")
            child.sendline("when does the big red circle appear?")
            child.expect_exact('searching "a big red circle"')
            child.expect_exact("I could not find it.")
            child.sendline("when does the small blue square appear?")
            child.expect_exact('searching "a small blue square"')
            # Interrupted while the model is thinking (the server sleeps), however long the
            # search and captions before it took on a busy machine.
            assert thinking.wait(60), "the model was never asked"
            time.sleep(0.5)
            child.sendintr()
            child.expect_exact("(cancelled: the conversation is as it was before that question)")
            child.sendline("when does the big white diamond appear?")
            child.expect_exact("I could not find that either.")
            child.sendline("/quit")
            child.expect(pexpect.EOF)
        finally:
            child.close(force=True)
    assert child.exitstatus == 0


def test_json_mode_keeps_every_line_json(rgb_video, colour_model, colour_captioner):
    args = ["chat", str(rgb_video), "-m", "fake:colour", "-c", "fake:colour", "--json"]
    lines = "/search green\n/bogus\nwhen does the green appear?\n"
    result = CliRunner().invoke(cli, args, input=lines)
    assert result.exit_code == 0
    shown = [json.loads(line) for line in result.stdout.splitlines()]
    assert shown[0]["text"].startswith('moments matching "green":')
    assert shown[1]["error"].startswith("unknown command /bogus")
    assert shown[2]["found"] is True
