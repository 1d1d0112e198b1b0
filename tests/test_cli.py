"""The CLI as a user runs it: output, JSON, contact sheets, and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from videoscout.cli.main import cli


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_info_reports_the_container_facts(rgb_video):
    code, out, _ = run("info", str(rgb_video), "--json")
    assert code == 0
    facts = json.loads(out)
    assert facts["width"] == 96 and facts["height"] == 64
    assert facts["has_audio"] is True
    assert facts["frame_count"] == 120
    assert facts["duration"] == pytest.approx(12.0, abs=0.15)
    code, out, _ = run("info", str(rgb_video))
    assert "96x64" in out and "audio: yes" in out


def test_index_then_search_reuses_the_index(rgb_video, colour_model):
    code, out, _ = run("index", str(rgb_video), "--model", "fake:colour")
    assert code == 0
    assert "frames indexed" in out and "built in" in out
    code, out, _ = run("index", str(rgb_video), "--model", "fake:colour", "--json")
    assert json.loads(out)["index"]["reused"] is True
    code, out, _ = run("search", str(rgb_video), "blue", "-k", "2", "--model", "fake:colour")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f'{rgb_video.name}: "blue" (fake:colour)'
    assert lines[1].split()[:4] == ["1", "0:06.00", "-", "0:09.00"]
    assert len(lines) == 3


def test_search_json_and_contact_sheet(rgb_video, colour_model, tmp_path):
    code, out, _ = run(
        "search",
        str(rgb_video),
        "yellow",
        "--json",
        "--thumbs",
        str(tmp_path / "sheets"),
        "-k",
        "4",
        "--model",
        "fake:colour",
        "--sampling",
        "uniform",
        "--fps",
        "2",
    )
    assert code == 0
    report = json.loads(out)
    assert report["query"] == "yellow"
    assert report["index"]["sampling"] == {"mode": "uniform", "fps": 2.0}
    best = report["moments"][0]
    assert (best["start"], best["end"]) == pytest.approx((9.0, 12.0), abs=0.11)
    sheet = Path(report["contact_sheet"])
    assert sheet.parent == tmp_path / "sheets" and sheet.name == "rgb-yellow.png"
    with Image.open(sheet) as image:
        columns = min(3, len(report["moments"]))
        assert image.width == 320 * columns
        # The first tile (below its label) shows the yellow frame.
        r, g, b = image.convert("RGB").getpixel((160, 22 + 150))
        assert r > 180 and g > 180 and b < 90


def test_models_lists_specs_and_cache_state():
    code, out, _ = run("models", "--json")
    listing = json.loads(out)
    assert listing["default"] == "clip:ViT-B-32/laion2b_s34b_b79k"
    default = next(m for m in listing["models"] if m["spec"] == listing["default"])
    assert default["cached"] is False
    code, out, _ = run("models", "--all")
    assert "coca:coca_ViT-B-32/mscoco_finetuned_laion2b_s13b_b90k" in out
    assert "random:ARCH" in out


def test_sample_lists_the_clips():
    code, out, _ = run("sample")
    assert code == 0 and "bikes" in out and "bbb-full" in out


@pytest.fixture
def bad_videos(tmp_path, rgb_video) -> dict[str, Path]:
    text = tmp_path / "notes.mp4"
    text.write_text("these are my notes, not a video\n")
    empty = tmp_path / "empty.mp4"
    empty.touch()
    faststart = tmp_path / "faststart.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(rgb_video),
            "-c",
            "copy",
            "-movflags",
            "+faststart",
            str(faststart),
        ],
        check=True,
    )
    truncated = tmp_path / "cut.mp4"
    truncated.write_bytes(faststart.read_bytes()[: faststart.stat().st_size * 2 // 5])
    return {
        "missing": tmp_path / "nope.mp4",
        "text": text,
        "empty": empty,
        "truncated": truncated,
    }


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing", "video not found"),
        ("text", "cannot open"),
        ("empty", "empty (0 bytes)"),
        ("truncated", "truncated"),
    ],
)
def test_bad_videos_give_one_line_errors(bad_videos, colour_model, case, expected):
    code, out, err = run("search", str(bad_videos[case]), "red", "--model", "fake:colour")
    assert code == 1
    assert out == ""
    assert err.startswith("videoscout: error: ") and err.count("\n") == 1
    assert bad_videos[case].name in err
    assert expected in err.replace(str(bad_videos[case]), "")


def test_unwritable_cache_is_a_clear_error(rgb_video, tmp_path, colour_model):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run(
        "index", str(rgb_video), "--model", "fake:colour", "--cache-dir", str(blocker / "c")
    )
    assert code == 1
    assert "not writable" in err and "--cache-dir" in err and err.count("\n") == 1


def test_unknown_model_is_a_clear_error(rgb_video):
    code, _, err = run("search", str(rgb_video), "red", "--model", "clip:ViT-B-32/nope")
    assert code == 1 and "clip:ViT-B-32/laion2b_s34b_b79k" in err


def test_real_process_prints_no_traceback(tmp_path):
    """Through the installed entry point: the default model has no weights here (offline)."""
    video = tmp_path / "clip.mp4"
    video.write_text("not a video")
    for args in (["search", str(video), "x"], ["search", str(tmp_path / "nope.mp4"), "x"]):
        done = subprocess.run(
            [sys.executable, "-m", "videoscout", *args], capture_output=True, text=True
        )
        assert done.returncode == 1
        assert "Traceback" not in done.stderr
        assert done.stderr.startswith("videoscout: error:")


def test_missing_weights_through_the_real_process(rgb_video):
    done = subprocess.run(
        [sys.executable, "-m", "videoscout", "search", str(rgb_video), "a cat"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "clip:ViT-B-32/laion2b_s34b_b79k is not downloaded" in done.stderr
    assert done.stderr.count("\n") == 1
