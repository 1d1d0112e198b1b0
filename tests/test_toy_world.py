"""The toy world end to end: generated videos with truth, and the shipped toy CoCa finding,
describing and answering about moments it never saw in training."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
from click.testing import CliRunner

from videoscout.cli.main import cli
from videoscout.toy.queries import thing_query
from videoscout.toy.render import render
from videoscout.toy.train import TRAIN_SEEDS
from videoscout.toy.truth import all_things, video_questions
from videoscout.toy.world import make_timeline
from videoscout.video import open_source

E2E_SEED = 21  # not a training seed
assert E2E_SEED not in TRAIN_SEEDS
FRAME_KINDS = {"count", "place", "colour", "shape", "size"}
VIDEO_KINDS = {"when", "times", "first", "last", "after", "before", "where", "absent"}


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def ten_minutes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("toy")
    out = run("toy", "generate", str(folder / "toy.mp4"), "--seconds", "600", "--seed", "21")
    assert "toy.mp4" in out
    video = folder / "toy.mp4"
    return video, json.loads(video.with_suffix(".json").read_text())


def iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    overlap = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    return overlap / (max(a[1], b[1]) - min(a[0], b[0]))


def test_generation_is_seeded_and_the_truth_matches_the_pixels(tmp_path, ten_minutes):
    video, truth = ten_minutes
    timeline = make_timeline(E2E_SEED, 600)
    assert [e["start"] for e in truth["events"]] == [e.start for e in timeline.events]
    again = make_timeline(E2E_SEED, 600)
    assert again == timeline and make_timeline(E2E_SEED + 1, 600) != timeline
    # The decoded file shows what the truth says: the frame at an event's middle is the one
    # rendered from the timeline (H.264 at crf 18 changes pixels by a few levels at most).
    times = [(e["start"] + e["end"]) / 2 for e in truth["events"][:8]]
    with open_source(video) as source:
        frames = source.get_frames(np.searchsorted(source.timestamps, times))
    for t, image in zip(frames.timestamps, frames.images, strict=True):
        assert timeline.on_screen(t), "an event's middle shows its object"
        error = np.abs(image.astype(int) - render(timeline, float(t), 128)).mean()
        assert error < 6, f"decoded frame at {t:.1f}s differs from its truth by {error:.1f}"
    assert len(truth["captions"]) == 600
    kinds = Counter(q["kind"] for q in truth["qa"])
    assert set(kinds) == {*FRAME_KINDS, *VIDEO_KINDS}, kinds


def test_titles_are_drawn_and_listed(tmp_path):
    out = tmp_path / "titled.mp4"
    run("toy", "generate", str(out), "--seconds", "30", "--seed", "3", "--titles")
    truth = json.loads(out.with_suffix(".json").read_text())
    assert truth["overlays"][0] == {"start": 0.0, "end": 3.0, "text": "scene 1"}
    timeline = make_timeline(3, 30)
    titled, plain = render(timeline, 1.0, 128, titles=True), render(timeline, 1.0, 128)
    assert (titled != plain).any() and (titled[40:] == plain[40:]).all()


@pytest.mark.slow
def test_search_finds_each_event_at_rank_one(ten_minutes):
    """Each event whose object appears once, queried by the object's name, is the top moment
    (IoU >= 0.5 with the truth) for >= 90 % of them (measured: 20 of 20); an object that
    appears n times has its appearances among the top n moments."""
    video, truth = ten_minutes
    events = truth["events"]
    assert len(events) >= 10
    run("index", str(video), "--model", "toy:coca")
    names = Counter(e["description"] for e in events)
    found: dict[str, list[tuple[float, float]]] = {}
    for name, count in names.items():
        out = run(
            "search", str(video), f"a {name}", "-k", str(count), "--model", "toy:coca", "--json"
        )
        found[name] = [(m["start"], m["end"]) for m in json.loads(out)["moments"]]
    unique = [e for e in events if names[e["description"]] == 1]
    repeated = [e for e in events if names[e["description"]] > 1]
    assert len(unique) >= 10

    def hit(e: dict, windows: list[tuple[float, float]]) -> bool:
        return any(iou((e["start"], e["end"]), w) >= 0.5 for w in windows)

    at_rank_one = [hit(e, found[e["description"]][:1]) for e in unique]
    in_top_n = [hit(e, found[e["description"]]) for e in repeated]
    assert np.mean(at_rank_one) >= 0.9, f"{sum(at_rank_one)} of {len(unique)} at rank 1"
    # Stricter than rank 1 (every appearance must get its own window among the top n, while
    # appearances a few seconds apart can merge into one), so a lower bar: measured 47 of 49.
    assert np.mean(in_top_n) >= 0.8, f"{sum(in_top_n)} of {len(repeated)} in the top n"


def test_thing_query_describes_only_frames_with_that_thing():
    timeline = make_timeline(E2E_SEED, 120)
    event = timeline.events[0]
    query = thing_query(event.thing)
    assert query.text == f"a {event.thing.name}"
    middle = (event.start + event.end) / 2
    scene = timeline.background_at(middle)
    assert query.matches(scene, tuple(e.thing for e in timeline.on_screen(middle)))
    assert not query.matches(scene, ())


@pytest.mark.slow
def test_shipped_toy_coca_meets_the_quality_bars_on_a_held_out_seed():
    """The numbers in videoscout/toy/MODEL_CARD.md, on a video no training frame came from."""
    from videoscout.toy.evaluate import HELD_OUT_SEED, evaluate

    assert HELD_OUT_SEED not in TRAIN_SEEDS
    report = evaluate()
    summary = {k: v for k, v in report.items() if k != "examples"}
    assert report["retrieval_top1"] >= 0.9, summary
    assert report["caption_bleu4"] >= 50, summary
    assert report["vqa_exact_match"] >= 0.85, summary


@pytest.mark.parametrize("seed", [7, 21, 3])
def test_video_questions_are_well_posed_and_true_to_the_timeline(seed):
    """Each multi-step question has one true answer, read off the timeline directly."""
    timeline = make_timeline(seed, 600)
    events = timeline.events
    qa = video_questions(timeline)
    assert {q["kind"] for q in qa} == VIDEO_KINDS
    questions = [q["question"] for q in qa]
    assert len(set(questions)) == len(questions), "one question text, one answer"
    by_name = {}
    for e in events:
        by_name.setdefault(e.thing.name, []).append(e)
    assert {q["subject"] for q in qa if q["kind"] == "when"} == set(by_name)
    for q in qa:
        name, kind = q["subject"], q["kind"]
        seen = by_name.get(name, [])
        windows = [[e.start, e.end] for e in seen]
        if kind == "when":  # every appearance, not just the first
            assert q["question"] == f"when does the {name} appear?"
            assert q["answer_times"] == windows
        elif kind == "times":
            assert q["question"] == f"how many times does the {name} appear?"
            assert q["count"] == len(seen) and q["answer_times"] == windows
        elif kind in ("first", "last"):
            assert q["question"] == f"when does the {name} {kind} appear?"
            assert len(seen) >= 2
            assert q["answer_times"] == [windows[0] if kind == "first" else windows[-1]]
        elif kind == "after":  # the next object to enter once X has left
            assert q["question"] == f"what appears right after the {name} leaves?"
            (x,) = seen
            (nxt_start, nxt_end), nxt_name = q["answer_times"][0], q["answer_names"][0]
            assert nxt_start >= x.end
            assert not [e for e in events if x.end <= e.start < nxt_start]
            assert any(
                e.thing.name == nxt_name and [e.start, e.end] == [nxt_start, nxt_end]
                for e in events
            )
            assert q["answer"] == f"a {nxt_name}"
        elif kind == "before":
            assert q["question"] == f"what was on screen just before the {name} appeared?"
            (x,) = seen
            assert q["reference_time"] == pytest.approx(x.start - 1.0)
            on_screen = [e.thing.name for e in timeline.on_screen(q["reference_time"])]
            assert q["answer_names"] == on_screen and name not in on_screen
            assert q["answer"] == (" and ".join(f"a {n}" for n in on_screen) or "nothing")
        elif kind == "where":
            assert q["question"] == f"where does the {name} appear?"
            (x,) = seen
            assert q["answer"] == timeline.background_at((x.start + x.end) / 2)
            assert (
                q["answer"]
                == timeline.background_at(x.start)
                == timeline.background_at(x.end - 0.01)
            ), "an object never crosses a scene cut"
        elif kind == "absent":
            assert q["question"] == f"when does the {name} appear?"
            assert not seen and q["answer_times"] == [] and q["answer"] == "it does not appear"
    absent = [q["subject"] for q in qa if q["kind"] == "absent"]
    assert 0 < len(absent) <= 10 and len(set(absent)) == len(absent)
    assert set(absent) <= {t.name for t in all_things()}
    assert video_questions(make_timeline(seed, 600)) == qa, "deterministic"


def test_after_is_defined_against_the_exit_not_the_entrance():
    """An object already on screen when X leaves is not what appears after X."""
    timeline = make_timeline(7, 600)
    overlapped = 0
    for q in (q for q in video_questions(timeline) if q["kind"] == "after"):
        (x,) = [e for e in timeline.events if e.thing.name == q["subject"]]
        entered_during = [e for e in timeline.events if x.start < e.start < x.end]
        overlapped += bool(entered_during)
        assert all(
            e.thing.name not in q["answer_names"] or e.start >= x.end for e in entered_during
        )
    assert overlapped, "the seed has a case where the old definition would differ"
