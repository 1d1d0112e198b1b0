"""`videoscout eval-captions`: reference files, all captioners on the same frames, reports."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from PIL import Image

from videoscout.cli.main import cli
from videoscout.metrics.references import load_references


def run(*args: str):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def references(tmp_path, rgb_video):
    items = [
        {"video": str(rgb_video), "time": 1.0, "references": ["a red screen", "red"]},
        {"video": str(rgb_video), "start": "0:03", "end": "0:05", "references": ["a green screen"]},
        {"video": str(rgb_video), "time": "0:10", "references": ["a purple screen"]},
    ]
    path = tmp_path / "refs.json"
    path.write_text(json.dumps(items))
    return path


def test_json_jsonl_and_csv_give_the_same_items(tmp_path, references, rgb_video):
    items = load_references(references)
    jsonl = tmp_path / "refs.jsonl"
    jsonl.write_text("\n".join(json.dumps(i) for i in json.loads(references.read_text())))
    csv = tmp_path / "refs.csv"
    csv.write_text(
        "video,time,start,end,reference\n"
        f"{rgb_video},1,,,a red screen\n{rgb_video},1,,,red\n"
        f"{rgb_video},,0:03,0:05,a green screen\n{rgb_video},0:10,,,a purple screen\n"
    )
    assert load_references(jsonl) == items == load_references(csv)
    assert [i.time for i in items] == [1.0, 4.0, 10.0] and items[0].references == (
        "a red screen",
        "red",
    )


def test_eval_captions_scores_reports_and_charts(
    tmp_path, references, colour_captioner, colour_model
):
    out, chart = tmp_path / "report.json", tmp_path / "chart.png"
    args = ("-c", "fake:colour", "-m", "fake:colour", "--out", str(out), "--chart", str(chart))
    code, stdout, _ = run("eval-captions", str(references), *args)
    assert code == 0 and "Caption quality on 3 frames" in stdout
    report = json.loads(out.read_text())["captioners"][0]
    assert [c["caption"] for c in report["captions"]] == [
        "a red screen",
        "a green screen",
        "a yellow screen",
    ]
    assert report["worst"][0]["time"] == 10.0  # yellow where the reference says purple
    assert report["scores"]["BLEU"] == 0.0  # three-word captions have no 4-grams to match
    assert 0 < report["scores"]["chrF"] < 100 and report["scores"]["TER"] > 0
    assert {"chrF", "ROUGE-L", "CIDEr-D", "CLIPScore", "RefCLIPScore"} <= set(report["scores"])
    assert Image.open(chart).size[0] > 300


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ('[{"video": "v.mp4", "time": 1}]', "r.json", "not a references file"),
        ('[{"video": "v.mp4", "time": 1, "references": []}]', "r.json", "non-empty texts"),
        ("[]", "r.json", "no reference items"),
        ("video,time\n", "r.txt", "must be .json, .jsonl or .csv"),
    ],
)
def test_bad_reference_files_are_one_clear_line(tmp_path, content, name, message):
    path = tmp_path / name
    path.write_text(content)
    code, out, err = run("eval-captions", str(path), "-c", "fake:colour")
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
