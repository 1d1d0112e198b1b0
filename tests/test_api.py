"""The Python API: the environment the CLI honours, one-liners that forward every option, one
probe per video, and indexes built once under parallel calls."""

from __future__ import annotations

import json
import sys
import threading
import time

import pytest

import videoscout
from videoscout import api, render
from videoscout.models.captioner import Decoding
from videoscout.video import Sampling, probe


def test_open_video_honours_videoscout_model(rgb_video, colour_model, monkeypatch):
    monkeypatch.setenv("VIDEOSCOUT_MODEL", "fake:colour")
    video = videoscout.open_video(rgb_video)
    assert video.model == "fake:colour"
    best = video.search("green", k=1)[0]
    assert (best.start, best.end) == pytest.approx((3.0, 6.0), abs=0.11)
    assert colour_model.images_embedded > 0
    assert videoscout.open_video(rgb_video, model="random:vs-tiny-clip").model != "fake:colour"


def test_search_one_liner_forwards_every_option(rgb_video, colour_model, tmp_path):
    seen = []
    moments = videoscout.search(
        rgb_video,
        "blue",
        k=1,
        model="fake:colour",
        sampling=Sampling(mode="uniform", fps=2),
        cache_dir=tmp_path / "elsewhere",
        backend="pyav",
        progress=lambda done, total: seen.append(done),
    )
    assert (moments[0].start, moments[0].end) == pytest.approx((6.0, 9.0), abs=0.11)
    assert seen  # the progress callback reached the index build
    assert colour_model.images_embedded == 24  # 12 s at 2 fps, every frame (uniform)
    manifests = list((tmp_path / "elsewhere").rglob("manifest.json"))
    assert len(manifests) == 1 and json.loads(manifests[0].read_text())["backend"] == "pyav"


def test_look_one_liner_forwards_every_option(rgb_video, colour_captioner, tmp_path):
    answer = videoscout.look(
        rgb_video,
        "which colour?",
        at=[1.0, 4.0, 5.0],
        captioner="fake:colour",
        cache_dir=tmp_path / "elsewhere",
        decoding=Decoding(max_new_tokens=4),
    )
    assert isinstance(answer, videoscout.FrameAnswer)
    assert answer.answer == "green" and answer.captioner == "fake:colour"
    assert answer.times == [1.0, 4.0, 5.0]
    answer = videoscout.look(
        rgb_video, "which colour?", start=6, end=9, frames=3, captioner="fake:colour"
    )
    assert answer.answer == "blue" and answer.times == [6.5, 7.5, 8.5]
    with pytest.raises(TypeError, match="colour"):
        videoscout.look(rgb_video, "which colour?", at=[1.0], colour="red")


def test_a_video_probes_its_file_once(rgb_video, colour_model, colour_captioner, monkeypatch):
    calls = []
    real = probe

    def counting(path):
        calls.append(path)
        return real(path)

    for module in list(sys.modules.values()):  # every module that imported the function
        if (
            module
            and module.__name__.startswith("videoscout")
            and module.__dict__.get("probe") is real
        ):
            monkeypatch.setattr(module, "probe", counting)
    video = videoscout.open_video(rgb_video, model="fake:colour", captioner="fake:colour")
    assert len(calls) == 1
    video.search("green")
    video.frames_at([1.0, 2.0])
    video.look("which colour?", at=[4.0])
    video.caption(0, 3, frames=2)
    video.index(force=True)
    assert len(calls) == 1


def test_parallel_calls_build_an_index_once(rgb_video, colour_model, monkeypatch):
    builds = []
    real = api.load_or_build

    def slow_build(*args, **kwargs):
        builds.append(threading.current_thread().name)
        time.sleep(0.3)  # both threads are inside index() by now
        return real(*args, **kwargs)

    monkeypatch.setattr(api, "load_or_build", slow_build)
    video = videoscout.open_video(rgb_video, model="fake:colour")
    start = threading.Barrier(3)
    results, errors = {}, []

    def search(colour: str) -> None:
        start.wait()
        try:
            results[colour] = video.search(colour, k=1)[0]
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=search, args=(c,)) for c in ("red", "blue")]
    for thread in threads:
        thread.start()
    start.wait()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors and len(builds) == 1
    assert results["red"].start == pytest.approx(0.0, abs=0.11)
    assert results["blue"].start == pytest.approx(6.0, abs=0.11)
    embedded = colour_model.images_embedded
    video.search("green")
    assert len(builds) == 1 and colour_model.images_embedded == embedded


def test_results_print_as_render_words_them(rgb_video, colour_model, colour_captioner):
    video = videoscout.open_video(rgb_video, model="fake:colour", captioner="fake:colour")
    moment = video.search("green", k=1)[0]
    assert str(moment) == render.moment_line(moment)
    assert str(moment).startswith("1. 0:03.00-0:06.00 (score ")
    described = video.caption(0, 6, every=3.0)
    assert str(described) == render.description_text(described)
    assert str(described) == " 0:00.00  a red screen\n 0:03.00  a green screen"
    assert render.description_heading(described) == "0:00.00-0:06.00 (fake:colour)"
    answer = video.look("which colour?", at=[1.0, 4.0, 5.0])
    assert str(answer) == "green  (looked at 0:01.00, 0:04.00, 0:05.00)"
    votes = render.frame_answer_text(answer, votes=True).splitlines()
    assert votes[1:] == ["   0:01.00  red", "   0:04.00  green", "   0:05.00  green"]
    assert render.info_line(video.info).startswith("rgb.mp4: 0:11.9")
    assert render.info_line(video.info).endswith(", 120 frames, 96x64, with audio")
    assert dict(render.info_rows(video.info))["audio"] == "yes"
