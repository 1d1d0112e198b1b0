"""On-screen text: OCR on toy videos whose titles are known, span merging, ranking, caching."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from videoscout.cli.text_commands import read
from videoscout.errors import OcrEngineUnavailableError, UnknownModelError, UnknownOcrEngineError
from videoscout.ocr import (
    FrameText,
    OcrLine,
    find_spans,
    get_ocr_engine,
    merge_spans,
    read_text,
)
from videoscout.ocr.evaluate import score_titles
from videoscout.ocr.tesseract_engine import TesseractEngine
from videoscout.toy.generate import generate
from videoscout.toy.render import render, scene_titles
from videoscout.toy.world import make_timeline

from fakes import ColourReader
from synthetic import colour_segments, write_video

# -- toy videos with titles, read by the real default engine ---------------------------------


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ocr")


@pytest.fixture(scope="module")
def titled_toy(work) -> tuple[Path, list[dict]]:
    """30 s from the toy generator with --titles: one scene, "SCENE 1" for its first 3 s."""
    video, truth = generate(work / "titled.mp4", 30, seed=3, titles=True)
    return video, json.loads(truth.read_text())["overlays"]


@pytest.fixture(scope="module")
def short_scenes(work) -> tuple[Path, list[dict]]:
    """30 s of the toy world cut into short scenes, each titled for its first 3 s: titles that
    start at cuts and vanish mid-scene, on dark and light backgrounds."""
    timeline = make_timeline(11, 30, scene_seconds=(8.0, 12.0))
    times = np.arange(0, 30, 0.1)
    frames = [render(timeline, float(t), 128, titles=True) for t in times]
    video = write_video(work / "scenes.mp4", frames, times)
    return video, scene_titles(timeline)


@pytest.mark.slow
@pytest.mark.parametrize("clip", ["titled_toy", "short_scenes"])
def test_every_title_is_read_once_within_a_second_of_its_start(clip, work, request):
    video, overlays = request.getfixturevalue(clip)
    assert len(overlays) == (1 if clip == "titled_toy" else 4)
    text = read_text(video, cache_dir=work / "cache")
    titles, spurious = score_titles(overlays, text.spans)
    for title in titles:
        assert title.found, f"{title.text} at {title.start}s: read {title.spans}"
        assert len(title.spans) == 1, f"{title.text} split into {title.spans}"
        assert title.end_error <= 1.0, f"{title.text} ends at {title.end}: {title.spans}"
    assert spurious == []


@pytest.mark.slow
def test_read_at_a_time_prints_the_title_with_its_times(titled_toy, work):
    video, _ = titled_toy
    cache = ["--cache-dir", str(work / "cache")]
    result = CliRunner().invoke(read, [str(video), "--at", "1.5", *cache])
    assert result.exit_code == 0, result.output
    assert "text on screen at 0:01.50" in result.output
    assert "0:00.00-0:03.00  SCENE" in result.output

    later = CliRunner().invoke(read, [str(video), "--at", "0:20", *cache])
    assert "no text on screen at 0:20.00" in later.output

    spans = json.loads(
        CliRunner().invoke(read, [str(video), "--range", "0-10", "--json", *cache]).output
    )["spans"]
    assert [s["text"].replace(" ", "") for s in spans] == ["SCENE1"]


@pytest.mark.slow
def test_a_video_without_text_reads_as_no_text(work):
    video, _ = generate(work / "plain.mp4", 20, seed=5)  # moving shapes, no titles
    text = read_text(video, cache_dir=work / "cache")
    assert text.spans == [] and text.find("scene") == []
    assert text.stats.frames_read == len(text.frames) > 0  # it was read; nothing was found
    result = CliRunner().invoke(read, [str(video), "--cache-dir", str(work / "cache")])
    assert result.exit_code == 0 and "no text on screen 0:00.00-0:20.00" in result.output


def test_read_registers_on_a_group_and_refuses_at_with_range(rgb_video):
    import click

    from videoscout.cli.text_commands import register

    group = click.Group()
    register(group)
    assert group.get_command(None, "read") is read
    result = CliRunner().invoke(read, [str(rgb_video), "--at", "1", "--range", "0-5"])
    assert "either --at TIME or --range A-B" in str(result.exception)


# -- engines -----------------------------------------------------------------------------------


def test_an_unknown_engine_lists_the_valid_ones():
    with pytest.raises(UnknownOcrEngineError) as caught:
        get_ocr_engine("easyocr")
    message = str(caught.value)
    assert "'easyocr'" in message and "rapidocr" in message and "tesseract[:LANG]" in message
    assert isinstance(caught.value, UnknownModelError)  # agent tools report these to the model


def test_read_with_an_unknown_engine_fails_before_reading(rgb_video):
    result = CliRunner().invoke(read, [str(rgb_video), "--ocr", "nope"])
    assert isinstance(result.exception, UnknownOcrEngineError)


def test_tesseract_without_the_program_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(OcrEngineUnavailableError, match=r"apt-get install tesseract-ocr`"):
        get_ocr_engine("tesseract")


FAKE_TSV = "level page_num block_num par_num line_num word_num left top width height conf text"
FAKE_ROWS = [
    "1 1 0 0 0 0 0 0 512 512 -1 ",
    "5 1 1 1 1 1 40 20 100 40 96 SCENE",
    "5 1 1 1 1 2 150 20 20 40 90 2",
    "5 1 2 1 1 1 40 400 80 40 50 exit",
]


@pytest.fixture
def fake_tesseract(tmp_path, monkeypatch) -> Path:
    """A `tesseract` on PATH that knows English and answers every image with FAKE_ROWS."""
    table = tmp_path / "table.tsv"
    table.write_text("\n".join("\t".join(r.split(" ", 11)) for r in [FAKE_TSV, *FAKE_ROWS]))
    script = tmp_path / "tesseract"
    script.write_text(
        "#!/bin/sh\n"
        'case "$1" in\n'
        "  --version) echo 'tesseract 5.3.0';;\n"
        "  --list-langs) printf 'List of available languages (2):\\neng\\nosd\\n';;\n"
        f"  *) cat > /dev/null; cat {table};;\n"
        "esac\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    return script


def test_tesseract_words_become_lines_in_frame_pixels(fake_tesseract):
    engine = TesseractEngine("tesseract")
    assert engine.identity.startswith("tesseract 5.3.0/eng/")
    # A 128 px frame goes to Tesseract enlarged 4x; boxes come back in the frame's pixels.
    lines = engine.read(np.zeros((128, 128, 3), np.uint8))
    assert lines[0] == OcrLine("SCENE 2", (10.0, 5.0, 42.5, 15.0), pytest.approx(0.93))
    assert lines[1].text == "exit" and lines[1].confidence == pytest.approx(0.5)


def test_tesseract_without_a_language_names_its_package(fake_tesseract):
    with pytest.raises(OcrEngineUnavailableError, match="apt-get install tesseract-ocr-deu"):
        get_ocr_engine("tesseract:deu")


# -- reading, caching, resuming: a fake engine that reads a frame's colour ---------------------


def _shown(text) -> list[tuple[float, float, str]]:
    return [(round(s.start, 2), round(s.end, 2), s.text) for s in text.spans]


RGB_SPANS = [(0.0, 3.0, "red"), (3.0, 6.0, "green"), (6.0, 9.0, "blue"), (9.0, 12.0, "yellow")]


def test_spans_start_and_end_where_the_picture_changes(rgb_video, colour_reader):
    text = read_text(rgb_video, colour_reader.spec)
    assert _shown(text) == RGB_SPANS
    assert [s.text for s in text.at(4.0)] == ["green"]
    assert [s.text for s in text.between(2.5, 6.5)] == ["red", "green", "blue"]
    assert text.find("blue")[0].start == 6.0


def test_a_second_read_comes_from_the_cache_without_ocr(rgb_video, colour_reader, cache_dir):
    first = read_text(rgb_video, colour_reader.spec)
    calls = colour_reader.calls
    assert not first.reused and calls == first.stats.frames_read > 0
    again = read_text(rgb_video, colour_reader.spec)
    assert again.reused and colour_reader.calls == calls
    assert _shown(again) == _shown(first)
    assert len(list((cache_dir / "text").rglob("*.json"))) == 1  # no partial file left


def test_a_damaged_cache_file_is_read_again(rgb_video, colour_reader, cache_dir):
    read_text(rgb_video, colour_reader.spec)
    (entry,) = (cache_dir / "text").rglob("*.json")
    entry.write_text('{"frames": [')
    calls = colour_reader.calls
    text = read_text(rgb_video, colour_reader.spec)
    assert not text.reused and colour_reader.calls > calls and _shown(text) == RGB_SPANS


def test_an_interrupted_read_resumes_where_it_stopped(rgb_video, cache_dir):
    whole = ColourReader()
    read_text(rgb_video, whole, cache_dir=cache_dir / "whole")
    stopped = ColourReader(fail_after=5)
    with pytest.raises(KeyboardInterrupt):
        read_text(rgb_video, stopped)
    assert list((cache_dir / "text").rglob("*.partial.json"))
    rest = ColourReader()
    text = read_text(rgb_video, rest)
    assert text.stats.frames_resumed == 5 and rest.calls == whole.calls - 5
    assert _shown(text) == RGB_SPANS
    assert not list((cache_dir / "text").rglob("*.partial.json"))


def test_other_sampling_is_another_cache_entry(rgb_video, colour_reader):
    from dataclasses import replace

    from videoscout.ocr import OCR_SAMPLING

    read_text(rgb_video, colour_reader.spec)
    denser = read_text(rgb_video, colour_reader.spec, sampling=replace(OCR_SAMPLING, fps=4.0))
    assert not denser.reused


def test_colour_frames_without_marks_give_one_span_per_colour(tmp_path, colour_reader):
    video = colour_segments(tmp_path / "c.mp4", [("white", 2), ("black", 2)], mark=False)
    assert _shown(read_text(video, colour_reader.spec)) == [(0, 2, "white"), (2, 4, "black")]


# -- merging lines into spans --------------------------------------------------------------------


def _frame(t: float, *texts: str, confidence: float = 0.95) -> FrameText:
    return FrameText(t, round(t * 10), tuple(OcrLine(x, (4, 2, 44, 12), confidence) for x in texts))


def test_ocr_jitter_does_not_split_a_title():
    frames = [
        _frame(0.0, "SCENE 2"),
        _frame(0.5, "SCENE·2"),
        _frame(1.0, "SCENE2", "Exit"),
        _frame(1.5, "SCFNE 2"),
        _frame(2.0, "SCENE 2"),
        _frame(2.5),
    ]
    spans = merge_spans(frames, end=10.0)
    assert [(s.start, s.end, s.text) for s in spans] == [
        (0.0, 2.5, "SCENE 2"),  # the reading seen most often
        (1.0, 1.5, "Exit"),
    ]
    assert spans[0].frames == 5


def test_a_frame_that_misses_a_title_is_bridged_but_a_real_absence_is_not():
    bridged = merge_spans([_frame(0, "Intro"), _frame(0.5), _frame(1.0, "Intro")], end=2.0)
    assert [(s.start, s.end) for s in bridged] == [(0, 2.0)]
    shown_twice = [_frame(0, "Intro"), _frame(0.5), _frame(5.0), _frame(6.0, "Intro")]
    assert [(s.start, s.end) for s in merge_spans(shown_twice, end=8.0)] == [(0, 0.5), (6.0, 8.0)]


def test_unsure_lines_and_lone_glyphs_are_dropped():
    frames = [_frame(0, "口"), _frame(1, "Sale", confidence=0.3), _frame(2, "■■")]
    assert merge_spans(frames, end=3.0) == []


# -- ranking ----------------------------------------------------------------------------------


def test_bm25_ranks_the_span_with_the_rarer_words_first():
    frames = [_frame(0, "SCENE 1"), _frame(5), _frame(10, "SCENE2"), _frame(15, "Results table")]
    spans = merge_spans(frames, end=20.0)
    hits = find_spans(spans, "scene 2")
    assert [h.text for h in hits] == ["SCENE2", "SCENE 1"]  # "scene2" is read as scene + 2
    assert hits[0].score > hits[1].score > 0
    assert [h.start for h in find_spans(spans, "the results")] == [15.0]
    assert find_spans(spans, "weather") == [] and find_spans([], "x") == []
