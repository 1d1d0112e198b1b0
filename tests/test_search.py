"""Search: ranked, non-overlapping moments whose windows match known segments."""

from __future__ import annotations

import numpy as np
import pytest

import videoscout
from videoscout.errors import InvalidTimeError, UsageError
from videoscout.retrieval import FrameIndex, find_moments
from videoscout.retrieval.search import find_moments_full_scan
from videoscout.video import Sampling

from synthetic import COLOURS, colour_segments

TRUTH = {"red": (0, 3), "green": (3, 6), "blue": (6, 9), "yellow": (9, 12)}


def iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    return inter / (max(a[1], b[1]) - min(a[0], b[0]))


@pytest.mark.parametrize("mode", ["uniform", "scene"])
def test_each_colour_is_found_at_rank_one_with_its_window(rgb_video, colour_model, mode):
    video = videoscout.open_video(rgb_video, model="fake:colour", sampling=Sampling(mode=mode))
    for colour, window in TRUTH.items():
        best = video.search(f"something {colour}", k=3)[0]
        assert best.rank == 1
        assert iou((best.start, best.end), window) >= 0.9, (colour, best)
        assert window[0] <= best.peak < window[1]


def test_scene_sampling_embeds_fewer_frames_and_keeps_the_cuts(tmp_path, colour_model):
    # No frame-number marks here: a changing mark is a visible change the filter must keep.
    path = colour_segments(tmp_path / "plain.mp4", [(c, 3) for c in TRUTH], mark=False)
    scene = videoscout.open_video(path, model="fake:colour").index().index
    uniform = (
        videoscout.open_video(path, model="fake:colour", sampling=Sampling(mode="uniform"))
        .index()
        .index
    )
    assert len(uniform) == 12
    assert set(np.round(scene.times, 3)) == {0.0, 3.0, 6.0, 9.0}


def test_moments_are_ranked_disjoint_and_bounded(rgb_video, colour_model):
    moments = videoscout.search(rgb_video, "green", k=3, model="fake:colour")
    assert [m.rank for m in moments] == [1, 2, 3]
    assert [m.score for m in moments] == sorted((m.score for m in moments), reverse=True)
    spans = sorted((m.start, m.end) for m in moments)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
    assert all(0 <= m.start < m.end <= 12.1 for m in moments)


def test_a_repeated_colour_gives_one_moment_per_occurrence(tmp_path, colour_model):
    path = colour_segments(
        tmp_path / "twice.mp4", [("red", 2), ("blue", 3), ("white", 2), ("red", 3), ("blue", 2)]
    )
    video = videoscout.open_video(path, model="fake:colour", sampling=Sampling(mode="uniform"))
    first, second = video.search("red", k=2)
    windows = sorted([(first.start, first.end), (second.start, second.end)])
    assert iou(windows[0], (0, 2)) >= 0.9 and iou(windows[1], (7, 10)) >= 0.9


def test_hnsw_and_exact_search_agree(rgb_video, colour_model):
    exact = videoscout.open_video(rgb_video, model="fake:colour", sampling=Sampling("uniform", 5))
    index = exact.index().index
    approx = FrameIndex(index.vectors, index.times, index.ends, index.frame_indices, exact_limit=4)
    query = colour_model.embed_texts(["blue"])[0]
    assert not approx.exact
    assert find_moments(approx, query, k=2) == find_moments(index, query, k=2)


def test_moments_equal_the_full_scan_where_whole_segments_tie(rgb_video, colour_model):
    # Every frame of a colour segment has the same vector: ties for the peak and the floor.
    video = videoscout.open_video(rgb_video, model="fake:colour", sampling=Sampling("uniform", 5))
    index = video.index().index
    for text in [*TRUTH, "white", "something red and green"]:
        query = colour_model.embed_texts([text])[0]
        for k in (1, 3, 8):
            assert find_moments(index, query, k) == find_moments_full_scan(index, query, k)


def test_tiny_random_clip_runs_the_real_model_end_to_end(rgb_video):
    moments = videoscout.search(rgb_video, "a red square", k=2, model="random:vs-tiny-clip")
    assert len(moments) == 2
    assert all(0 <= m.start < m.end <= 12.1 and -1 <= m.score <= 1 for m in moments)


def test_frames_at_returns_the_frames_on_screen(rgb_video):
    video = videoscout.open_video(rgb_video)
    batch = video.frames_at([1.0, 4.5, 10.0], size=(48, 32))
    assert batch.images.shape == (3, 32, 48, 3)
    centres = batch.images[:, 20, 24].astype(int)
    for centre, colour in zip(centres, ["red", "green", "yellow"], strict=True):
        assert np.abs(centre - COLOURS[colour]).max() < 25
    with pytest.raises(InvalidTimeError, match="outside the video"):
        video.frames_at([13.0])


def test_bad_queries_are_usage_errors(rgb_video, colour_model):
    video = videoscout.open_video(rgb_video, model="fake:colour")
    with pytest.raises(UsageError, match="empty"):
        video.search("   ")
    with pytest.raises(UsageError, match="at least 1"):
        video.search("red", k=0)
