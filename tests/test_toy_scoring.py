"""Marking the agent on the toy world: the scorer and the evaluation table, with hand-made
answers (no video, no agent)."""

from __future__ import annotations

import json

import pytest

from videoscout.agent.answer import AgentAnswer, Citation
from videoscout.toy import agent_eval
from videoscout.toy.evaluate import main as evaluate_main
from videoscout.toy.scoring import iou, matches, score, stated_count, things_named
from videoscout.toy.truth import video_questions
from videoscout.toy.world import make_timeline


def answer(text, windows=(), found=True, notes=(), frames=4, steps=2, calls=0, seconds=0.5):
    citations = [Citation(w[0], w[1], w[2] if len(w) > 2 else None, "search", "") for w in windows]
    return AgentAnswer(
        question="q",
        text=text,
        citations=citations,
        found=found,
        steps=[],
        frames_inspected=frames,
        tool_steps=steps,
        model_calls=calls,
        seconds=seconds,
        llm="none",
        notes=list(notes),
    )


WHEN = {
    "kind": "when",
    "question": "when does the big red circle appear?",
    "answer": "1:02.00-1:10.50 and 4:20.00-4:31.00",
    "subject": "big red circle",
    "answer_times": [[62.0, 70.5], [260.0, 271.0]],
}


def item(kind, **fields):
    return {"kind": kind, "question": "?", "answer": "", "subject": "big red circle", **fields}


def test_iou_and_instants():
    assert iou((0, 10), (5, 15)) == pytest.approx(5 / 15)
    assert iou((0, 1), (2, 3)) == 0 and iou((1, 1), (1, 1)) == 0
    assert matches(Citation(62.5, 70.0, 66.0, "s"), (62.0, 70.5))
    assert not matches(Citation(60.0, 80.0, None, "s"), (62.0, 70.5))  # IoU 0.43
    assert matches(Citation(71.4, 71.4, 71.4, "look"), (62.0, 70.5))  # an instant within 1 s
    assert not matches(Citation(72.0, 72.0, 72.0, "look"), (62.0, 70.5))


def test_when_needs_every_appearance_and_nothing_else():
    text = "The big red circle appears at 1:02.00-1:10.50 and 4:20.00-4:31.00."
    both = [(62.3, 70.0), (259.5, 271.0)]
    assert score(WHEN, answer(text, both)) == {"correct": True, "time_ok": True, "unsupported": 0}
    only_first = score(WHEN, answer(text, both[:1]))
    assert only_first["correct"] is False and only_first["time_ok"] is False
    stray = score(WHEN, answer(text, [*both, (400.0, 410.0)]))
    assert stray["correct"] is False and stray["time_ok"] is True
    assert not score(WHEN, answer("I could not find it.", [], found=False))["correct"]
    first = {**WHEN, "kind": "first", "answer_times": [[62.0, 70.5]]}
    assert score(first, answer(text, both[:1]))["correct"]
    assert not score(first, answer(text, both))["correct"], "the last one is not the first"


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("The big red circle appears 2 times: 1:02.00-1:10.50 and 4:20.00-4:31.00.", True),
        ("It appears twice.", True),
        ("The big red circle appears two times.", True),
        ("It appears 3 times.", False),
        ("It appears once, at 1:02.00-1:10.50.", False),
        ("The big red circle was seen at 1:02.00 and 4:20.00.", False),  # no count stated
    ],
)
def test_times_reads_the_stated_count_not_the_times(text, ok):
    times = item("times", count=2, answer_times=WHEN["answer_times"])
    cites = [(62.3, 70.0), (259.5, 271.0)]
    marks = score(times, answer(text, cites))
    assert marks["correct"] is ok and marks["time_ok"] is True
    assert stated_count("It appears 11 times at 1:02.00") == 11


def test_after_before_where_absent_and_frame_kinds():
    after = item("after", answer_names=["small blue square"], answer_times=[[80.0, 90.0]])
    good = answer("Right after the big red circle leaves, a small blue square enters.", [(80, 90)])
    assert score(after, good) == {"correct": True, "time_ok": True, "unsupported": 0}
    assert not score(after, answer("A blue square appears.", [(80, 90)]))["correct"]
    assert score(after, answer("A small blue square.", [(95, 99)]))["time_ok"] is False

    before = item("before", answer_names=["small blue square"], reference_time=61.0)
    said = "Just before the big red circle appeared, a small blue square was on screen."
    assert score(before, answer(said, [(61.2, 61.2, 61.2)])) == {
        "correct": True,
        "time_ok": True,
        "unsupported": 0,
    }
    extra = answer(said + " A big white diamond too.", [(50, 62, None)])
    assert score(before, extra) == {"correct": False, "time_ok": True, "unsupported": 0}
    nothing = item("before", answer_names=[], reference_time=61.0)
    assert score(nothing, answer("Nothing was on screen.", [(58, 58)]))["correct"]
    assert not score(nothing, answer("A small blue square.", [(58, 58)]))["correct"]
    assert score(nothing, answer("Nothing.", [(58, 58)]))["time_ok"] is False

    where = item("where", answer="grass field", answer_times=[[62.0, 70.5]])
    assert score(where, answer("It appears on the grass field.", [(62, 70)]))["correct"]
    assert not score(where, answer("It appears on the beach.", [(62, 70)]))["correct"]

    absent = item("absent", answer="it does not appear", answer_times=[])
    honest = answer("I could not find a big red circle in the video.", found=False)
    assert score(absent, honest) == {"correct": True, "time_ok": None, "unsupported": 0}
    assert score(absent, answer("The big red circle does not appear.", found=True))["correct"]
    invented = answer("The big red circle appears at 1:02.", [(62, 70)], found=True)
    assert not score(absent, invented)["correct"]

    colour = {"kind": "colour", "question": "what colour is the circle?", "answer": "red"}
    assert score(colour, answer("The circle is red."))["correct"]
    assert not score(colour, answer("The circle is reddish blue."))["correct"]
    count = {"kind": "count", "question": "how many objects are there?", "answer": "two"}
    assert score(count, answer("There are 2 objects."))["correct"]
    assert not score(count, answer("There is one object."))["correct"]
    none = {**count, "answer": "no"}
    assert score(none, answer("There is nothing in the room."))["correct"]
    assert score(colour, answer("red", notes=["unsupported 9:99 dropped"]))["unsupported"] == 1
    assert score(colour, answer("red"), unsupported=3)["unsupported"] == 3
    assert things_named("A Big Red Circle and two small blue squares") == {
        "big red circle",
        "small blue square",
    }


def test_the_truth_scores_itself_right():
    """An answer that says and cites exactly the truth is right on every kind."""
    for q in video_questions(make_timeline(7, 600)):
        cites = [tuple(w) for w in q["answer_times"]]
        if q["kind"] == "before":
            cites = [(q["reference_time"], q["reference_time"])]
        text = f"The {q['subject']}: {q['answer']}."
        if q["kind"] == "times":
            text = f"It appears {q['count']} times."
        found = q["kind"] != "absent"
        marks = score(q, answer(text, cites, found=found))
        assert marks["correct"], (q, text)
        assert marks["time_ok"] in (True, None), q


class ScriptedAgent:
    """Answers from the truth, right on every other question; counts new threads."""

    def __init__(self, truth):
        self.truth = {agent_eval.question_text(q): q for q in truth}
        self.threads = 0
        self.asked = 0

    def new_thread(self):
        self.threads += 1

    def ask(self, question):
        q = self.truth[question]
        self.asked += 1
        right = self.asked % 2 == 1
        cites = [tuple(w) for w in q.get("answer_times", [])]
        if "reference_time" in q:
            cites = [(q["reference_time"],) * 2]
        text = f"{q['answer']} ({q['count']} times)" if "count" in q else q["answer"]
        if not right:
            text, cites = "I could not find it.", []
        notes = ["unsupported 9:59 removed"] if self.asked == 3 else []
        return answer(
            text, cites, found=right and q["kind"] != "absent", notes=notes, frames=self.asked
        )


def test_the_harness_asks_in_fresh_threads_and_tabulates():
    timeline = make_timeline(7, 600)
    qa = video_questions(timeline)
    chosen = agent_eval.select(qa, per_kind=3, seed=7)
    assert chosen == agent_eval.select(qa, per_kind=3, seed=7)
    assert len(chosen) == 3 * len(agent_eval.MULTI_STEP_KINDS)
    frame = {"kind": "shape", "question": "what shape is the red object?", "time": 62.5}
    assert agent_eval.question_text(frame) == "what shape is the red object at 1:02.50?"
    agent = ScriptedAgent(chosen)
    seen = []
    records = agent_eval.ask_all(agent, chosen, progress=seen.append)
    assert agent.threads == len(chosen) == len(records) == len(seen)
    summary = agent_eval.summarize(records)
    assert summary["overall"]["n"] == len(chosen)
    assert summary["unsupported"] == 1
    assert summary["median"]["frames_inspected"] == (len(chosen) + 1) / 2
    assert list(summary["by_kind"]) == list(agent_eval.MULTI_STEP_KINDS)
    right = sum(r["correct"] for r in records)
    assert summary["overall"]["accuracy"] == pytest.approx(right / len(records), abs=1e-3)
    table = agent_eval.report(summary, "title")
    for kind in agent_eval.MULTI_STEP_KINDS:
        assert f"\n{kind} " in table
    assert "citations outside the evidence: 1" in table
    assert "[FAIL] 0 citations outside the evidence" in table
    json.dumps(records)  # plain data


def test_evaluate_agent_command(tmp_path, monkeypatch, capsys):
    """--agent generates the toy video once into the folder, asks and prints the table."""
    import videoscout

    opened = []

    class FakeVideo:
        def __init__(self, path, **options):
            opened.append((path, options))

        def agent(self, llm=None):
            truth = json.loads(opened[-1][0].with_suffix(".json").read_text())
            return ScriptedAgent([q for q in truth["qa"]])

    monkeypatch.setattr(videoscout, "open_video", FakeVideo)
    out = tmp_path / "records.json"
    argv = ["--agent", "--seconds", "30", "--seed", "3", "--per-kind", "2", "--folder"]
    evaluate_main([*argv, str(tmp_path), "--json", str(out)])
    printed = capsys.readouterr()
    assert "overall" in printed.out and "median per question" in printed.out
    assert "] right" in printed.err
    video, options = opened[0]
    assert options == {"model": "toy:coca", "captioner": "toy:coca"}
    assert video.exists() and video.parent == tmp_path
    mtime = video.stat().st_mtime_ns
    saved = json.loads(out.read_text())
    assert saved["summary"]["overall"]["n"] == len(saved["records"]) > 0
    evaluate_main([*argv, str(tmp_path)])
    assert video.stat().st_mtime_ns == mtime, "the cached video is reused"
