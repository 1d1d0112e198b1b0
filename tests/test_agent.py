"""The agent on a video with known content: red 0-3 s, green 3-6 s, blue 6-9 s, yellow 9-12 s.

The colour fakes embed and caption frames by their colour, so every right answer is known. Each
scripted chat model, good or adversarial, must end in a truthful cited answer or an honest
"not found", inside the budgets.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from langchain_core.messages import AIMessage

import videoscout
from videoscout.agent import Budgets, Step
from videoscout.agent.graph import build_graph
from videoscout.cli.main import cli
from videoscout.errors import InvalidTimeError, UsageError
from videoscout.models.chat_models import register_chat_model, unregister_chat_model

from fake_chat import decision, scripted

GREEN = (3.0, 6.0)
BLUE = (6.0, 9.0)
SNAPSHOT = Path(__file__).parent / "snapshots" / "agent_graph.mmd"


@pytest.fixture
def video(rgb_video, colour_model, colour_captioner):
    return videoscout.open_video(rgb_video, model="fake:colour", captioner="fake:colour")


@pytest.fixture
def chat():
    """``chat(script, then)`` registers a scripted model as ``fake:scripted`` and returns it."""
    names = []

    def make(script, then=None, name="fake:scripted"):
        model = scripted(script, then)
        register_chat_model(name, lambda spec: model, "scripted test model")
        names.append(name)
        return model

    yield make
    for name in names:
        unregister_chat_model(name)


def spans(answer) -> list[tuple[float, float]]:
    return [(c.start, c.end) for c in answer.citations]


def near(a: tuple[float, float], b: tuple[float, float], slack: float = 0.15) -> bool:
    return abs(a[0] - b[0]) <= slack and abs(a[1] - b[1]) <= slack


def assert_not_found(answer, says: str) -> None:
    """An honest "not found": no citations, and the text says why."""
    assert not answer.found and answer.citations == []
    assert says in answer.text


def assert_supported(answer, video) -> None:
    """Every cited time lies in the video and came from a tool."""
    for c in answer.citations:
        assert 0 <= c.start <= c.end <= video.info.duration + 0.05
        assert c.source


# --- LLM-free ---------------------------------------------------------------------------------


def test_llm_free_finds_when_a_thing_appears_and_cites_the_window(video):
    answer = video.agent().ask("When does the green appear?")
    assert answer.found and answer.model_calls == 0 and answer.llm == "none"
    assert any(near(s, GREEN) for s in spans(answer)), answer.text
    assert "0:03.00-0:06.00" in answer.text
    assert answer.steps[0].kind == "search"  # evidence first
    assert 1 <= answer.frames_inspected <= 8 and answer.tool_steps <= 6


def test_llm_free_answers_what_appears_after_and_remembers_the_conversation(video):
    agent = video.agent()
    agent.ask("when does the green appear?")
    after = agent.ask("and after that?")
    assert "blue" in after.text and any(near(s, BLUE) for s in spans(after)), after.text
    colour = agent.ask("what colour is it?")  # "it" is now the blue thing
    assert "blue" in colour.text
    assert [t["question"] for t in agent.history()] == [
        "when does the green appear?",
        "and after that?",
        "what colour is it?",
    ]


def test_llm_free_says_honestly_when_something_is_not_there(video):
    assert_not_found(video.agent().ask("when does the purple appear?"), "could not find")


def test_llm_free_reads_frames_at_a_time_and_describes_a_range(video):
    agent = video.agent()
    at = agent.ask("what is on screen at 0:07?")
    assert "blue" in at.text and spans(at) and abs(spans(at)[0][0] - 7.0) <= 0.1
    described = agent.ask("what happens between 0:01 and 0:11?")
    assert described.frames_inspected == 6
    for colour in ("red", "green", "blue", "yellow"):
        assert colour in described.text


def test_a_question_of_the_wrong_type_or_empty_is_refused_before_any_work(video):
    agent = video.agent()
    with pytest.raises(TypeError, match="question must be a string"):
        agent.ask(123)
    with pytest.raises(UsageError, match="question is empty"):
        agent.ask("   ")
    assert agent.history() == []


def test_steps_stream_before_the_answer(video):
    items = list(video.agent().stream("when does the blue appear?"))
    assert all(isinstance(i, Step) for i in items[:-1]) and items[-1].found
    kinds = [i.kind for i in items[:-1]]
    assert kinds[0] == "search" and kinds[-1] == "answer"
    assert 'searching "a blue": ' in items[0].text


def test_aask_answers_like_ask(video):
    answer = asyncio.run(video.agent().aask("when does the yellow appear?"))
    assert any(near(s, (9.0, 12.0), 0.2) for s in spans(answer)), answer.text


def test_named_sessions_are_saved_resumed_and_deleted(video):
    first = video.agent(session="talk")
    first.ask("when does the green appear?")
    again = video.agent(session="talk")  # a new process would do the same
    assert again.history()[0]["question"] == "when does the green appear?"
    assert "blue" in again.ask("and after that?").text
    assert again.sessions() == ["talk"]
    with pytest.raises(videoscout.VideoscoutError, match="no saved session 'other'.*talk"):
        again.resume("other")
    again.delete_session("talk")
    assert video.agent(session="talk").history() == []


def test_the_graph_shape_is_snapshotted():
    drawn = build_graph().get_graph().draw_mermaid()
    assert drawn == SNAPSHOT.read_text(), "graph changed: update tests/snapshots/agent_graph.mmd"


# --- scripted chat models --------------------------------------------------------------------


def test_a_good_tool_caller_searches_then_answers_with_verified_citations(video, chat):
    model = chat(
        [
            decision("search", query="blue screen", k=2),
            decision("answer"),
            "The blue screen is shown at [0:06.00-0:09.00].",
        ]
    )
    answer = video.agent("fake:scripted").ask("what is blue here?")
    assert answer.text == "The blue screen is shown at [0:06.00-0:09.00]."
    assert spans(answer) == [BLUE] and answer.notes == []
    assert answer.model_calls == 3 == model.calls
    # Evidence first: the model's very first prompt already holds search results.
    first_prompt = model.prompts[0][-1].content
    assert "E1 search" in first_prompt
    assert model.bound[0]["tool_choice"] == "next_step"


def test_a_model_that_never_calls_tools_and_invents_a_time_is_not_believed(video, chat):
    chat([], then="The bird flies away at 10:30.")
    answer = video.agent("fake:scripted", budgets=Budgets(tool_steps=4)).ask(
        "when does the green appear?"
    )
    assert "10:30" not in answer.text
    assert any(near(s, GREEN) for s in spans(answer)), answer.text
    assert any(n.startswith("unsupported: 10:30") for n in answer.notes)
    assert any("rebuilt from the evidence" in n for n in answer.notes)
    assert answer.tool_steps <= 4
    assert_supported(answer, video)


def test_malformed_arguments_and_unknown_tools_go_back_to_the_model(video, chat):
    bad_args = AIMessage(
        content="",
        invalid_tool_calls=[{"name": "next_step", "args": "{oops", "id": "1", "error": "bad"}],
    )
    unknown = AIMessage(content="", tool_calls=[{"name": "fly", "args": {}, "id": "2"}])
    too_many = decision("search", query="x" * 200)
    model = chat(
        [bad_args, unknown, too_many, decision("answer"), "Green: [0:03.00-0:06.00]."],
    )
    answer = video.agent("fake:scripted").ask("when does the green appear?")
    refused = [s.text for s in answer.steps if s.kind == "refused"]
    assert len(refused) == 3
    assert "malformed arguments" in refused[0]
    assert "unknown tool 'fly'" in refused[1] and "search, look" in refused[1]
    assert "at most 80 characters" in refused[2]
    # Each refusal was shown to the model in its next prompt.
    assert "Your last step was refused: your call 'next_step' had malformed" in (
        model.prompts[1][-1].content
    )
    assert spans(answer) == [GREEN]


def test_a_model_that_searches_forever_is_stopped_by_the_budget(video, chat):
    chat([], then=decision("search", query="green", k=3))
    agent = video.agent("fake:scripted", budgets=Budgets(tool_steps=5))
    answer = agent.ask("when does the green appear?")
    assert answer.tool_steps == 5
    assert any(n.startswith("budget: used all 5 tool steps") for n in answer.notes)
    # Its "answer" was the same search call again: no text, so the evidence answers.
    assert any(near(s, GREEN) for s in spans(answer)), answer.text


def test_times_outside_the_video_or_the_evidence_are_refused_then_replaced(video, chat):
    model = chat([decision("answer"), "It is at [0:50.00-0:55.00].", "Maybe at 0:20."])
    answer = video.agent("fake:scripted").ask("when does the green appear?")
    assert "0:50" not in answer.text and "0:20" not in answer.text
    assert "[0:50.00-0:55.00] is outside the video" in model.prompts[2][-1].content  # the retry
    assert sum(n.startswith("unsupported") for n in answer.notes) == 2
    assert any(near(s, GREEN) for s in spans(answer))


def test_verification_accepts_only_times_inside_windows_or_near_frames():
    from videoscout.agent import evidence as ev

    items: list[dict] = []
    ev.add(items, 1, "moment", 'search "a dog"', start=10.0, end=20.0, time=12.0, text="")
    ev.add(items, 1, "caption", "caption", start=40.0, end=40.0, time=40.0, text="a dog")
    text = "At [0:10.00-0:20.00], 0:41, 0:42.5, [0:15.00-0:30.00] and 5:00."
    citations, problems = ev.check(text, items, duration=120.0)
    assert [(c.start, c.end) for c in citations] == [(10.0, 20.0), (41.0, 41.0)]
    assert problems == [
        "0:42.50 was not returned by any tool",
        "[0:15.00-0:30.00] was not returned by any tool",
        "5:00.00 is outside the video (it runs 0:00-2:00.00)",
    ]


def test_a_call_written_as_text_is_still_read(video, chat):
    as_text = (
        'Sure! ```json\n{"name": "next_step", "arguments": {"step": '
        '{"action": "search", "query": "yellow"}}}\n```'
    )
    chat([as_text, decision("answer"), "Yellow: [0:09.00-0:11.90]."])
    answer = video.agent("fake:scripted").ask("what is yellow?")
    assert any(s.kind == "search" and "yellow" in s.text for s in answer.steps)
    assert answer.notes == [] and spans(answer) == [(9.0, 11.9)]


def test_a_time_grounded_in_nothing_is_refused_back_to_the_model(video, chat):
    model = chat(
        [
            decision("look", question="what colour?", times=["0:30"]),
            decision("answer"),
            "I could not find it.",
        ]
    )
    answer = video.agent("fake:scripted").ask("what colour is the screen?")
    refused = [s.text for s in answer.steps if s.kind == "refused"]
    assert refused and "0:30 was not said by the user and no tool returned it" in refused[0]
    assert not answer.found and model.calls == 3


def test_the_openai_path_runs_over_real_http(video):
    from openai_server import Reply, ScriptedOpenAIServer

    step = {"step": {"action": "search", "query": "green"}}
    script = [
        Reply.tool_call("next_step", step),
        Reply.tool_call("next_step", {"step": {"action": "answer"}}),
        Reply.text("Green fills the screen at [0:03.00-0:06.00]."),
    ]
    with ScriptedOpenAIServer(script) as server:
        agent = video.agent("openai:toy-model", llm_base_url=server.base_url)
        answer = agent.ask("when is the screen green?")
        sent = server.requests
    assert spans(answer) == [GREEN] and answer.model_calls == 3
    assert sent[0]["tool_choice"]["function"]["name"] == "next_step"
    assert "tools" not in sent[2]  # the answer step has no tools bound


def test_an_unreachable_server_is_one_clear_error(video, unused_port):
    agent = video.agent("openai:toy-model", llm_base_url=f"http://127.0.0.1:{unused_port}/v1")
    with pytest.raises(videoscout.VideoscoutError, match=f"127.0.0.1:{unused_port}"):
        agent.ask("when is the screen green?")


# --- the command line ---------------------------------------------------------------------


def test_cli_ask_prints_the_answer_and_its_citations(rgb_video, colour_model, colour_captioner):
    args = ["ask", str(rgb_video), "when does the green appear?", "-m", "fake:colour",
            "-c", "fake:colour"]  # fmt: skip
    result = CliRunner().invoke(cli, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["found"] and near((data["citations"][0]["start"], data["citations"][0]["end"]),
                                  GREEN)  # fmt: skip
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert "The green appears once: [0:03.00-0:06.00]." in result.stdout
    assert "cited:" in result.stdout


def test_cli_ask_with_an_unknown_chat_model_is_one_line(rgb_video, colour_model):
    result = CliRunner().invoke(
        cli, ["ask", str(rgb_video), "when?", "-m", "fake:colour", "--llm", "olama:qwen"]
    )
    assert result.exit_code != 0
    assert result.stderr.startswith("videoscout: error: ") and "ollama" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_follow_up_to_an_answer_that_found_nothing_says_so(video):
    agent = video.agent()
    assert not agent.ask("when does the purple appear?").found
    follow = agent.ask("and after that?")
    assert not follow.found and follow.citations == []
    assert "could not find a purple" in follow.text


def test_a_follow_up_cites_its_own_search_not_an_earlier_one(video):
    agent = video.agent()
    agent.ask("when does the green appear?")  # its search returns every window of the video
    answer = agent.ask("when does the blue appear?")
    [citation] = answer.citations
    assert (citation.start, citation.end) == BLUE
    assert citation.source == 'search "a blue"' and citation.text.startswith("#1 ")


def test_a_time_past_the_end_is_said_plainly(video):
    answer = video.agent().ask("what is on screen at 0:30?")
    assert_not_found(answer, "time 0:30.00 is outside the video; it runs 0:00-0:11.9")
    # The refusal's own times are its reason, not claims to verify.
    assert answer.notes == [] and not [s for s in answer.steps if s.kind == "verify"]
    backwards = video.agent().ask("describe 0:09-0:03")
    assert_not_found(backwards, "the end must come after the start")
    assert backwards.notes == []


def test_whole_video_descriptions_and_questions_about_it_with_nothing_before(video):
    agent = video.agent()
    described = agent.ask("describe the video")
    assert described.frames_inspected == 12
    assert all(colour in described.text for colour in ("red", "green", "blue", "yellow"))
    unclear = video.agent().ask("what colour is it?")
    assert not unclear.found and 'what "it" refers to' in unclear.text
    assert unclear.tool_steps == 0
    fresh = video.agent()
    after = fresh.ask("and after that?")
    assert not after.found and 'what "that" refers to' in after.text
    still = fresh.ask("what colour is it?")  # the turn before gave "it" nothing either
    assert 'what "it" refers to' in still.text and still.tool_steps == 0
    assert str(described).startswith("What the frames show:\n")


@pytest.mark.parametrize("written", ["1:75", "1:-55", "99:99:99", "-5"])
def test_a_time_that_is_not_one_is_refused_with_how_to_write_it(video, chat, written):
    """An error, as for an empty question: not an open question about "1:75", and not a
    model's guess at what was meant."""
    model = chat([], then="It is at 0:06.")
    for llm in ("none", "fake:scripted"):
        with pytest.raises(InvalidTimeError, match=f'"{written}" in the question is not a time'):
            video.agent(llm).ask(f"what colour is the screen at {written}?")
    assert model.calls == 0
    result = CliRunner().invoke(
        cli, ["ask", str(video.path), f"what is on screen at {written}?", "-m", "fake:colour",
              "-c", "fake:colour"],
    )  # fmt: skip
    assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
    assert "is not a time" in result.output


def test_plain_seconds_in_a_question_are_times(video):
    at = video.agent().ask("what colour is the screen at 7?")
    assert at.text.startswith("At 0:07.00: blue"), at.text
    described = video.agent().ask("describe 1-5")
    assert [round(c.start) for c in described.citations][:1] == [1], described.text
    assert "red" in described.text and "green" in described.text


def test_a_budget_that_runs_out_as_the_answer_is_ready_is_not_reported(video):
    question = "what appears right after the green leaves?"
    free = video.agent().ask(question)
    assert free.notes == [] and "blue" in free.text, free.text
    exact = video.agent(budgets=Budgets(tool_steps=free.tool_steps)).ask(question)
    assert exact.text == free.text and exact.notes == []
    short = video.agent(budgets=Budgets(tool_steps=free.tool_steps - 1)).ask(question)
    assert short.notes == [f"budget: used all {free.tool_steps - 1} tool steps; answering with "
                           "what I have"]  # fmt: skip


def test_a_refused_step_is_not_asked_again_until_the_budget_runs_out(video):
    answer = video.agent().ask("what appears right after the yellow leaves?")
    assert "nothing new appears" in answer.text, answer.text
    assert [s.kind for s in answer.steps].count("refused") <= 1
    assert answer.notes == [] and answer.tool_steps < 6


def test_a_frame_looked_at_in_this_turn_is_the_source_not_an_earlier_window(video):
    agent = video.agent()
    agent.ask("when does the green appear?")  # its search returns every window of the video
    answer = agent.ask("what colour is the screen at 7?")
    [citation] = answer.citations
    assert citation.start == citation.end == 7.0 and "blue" in answer.text
    assert not citation.source.startswith("search"), citation.source
