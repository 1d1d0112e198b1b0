"""Which frames get sampled: uniform rate, n frames in a range, scene changes."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from videoscout.errors import InvalidTimeError, UsageError
from videoscout.video import AVAILABLE_BACKENDS, Sampling, frame_at, open_source
from videoscout.video.sampling import SceneFilter, range_indices, thumbnails, uniform_indices

from synthetic import colour_segments, write_video

# Irregular gaps (a variable-frame-rate video), kept exact so the expected frames can be
# computed without rounding.
GAPS = [Fraction(1, 25), Fraction(1, 10), Fraction(3, 10)]


def exact_vfr_times(count: int) -> list[Fraction]:
    times = [Fraction(0)]
    for i in range(count - 1):
        times.append(times[-1] + GAPS[i % 3])
    return times


def on_screen(times: list[Fraction], t: Fraction) -> int:
    """The frame shown at ``t``: the last one that started at or before it."""
    return max([i for i, start in enumerate(times) if start <= t], default=0)


# --- uniform_indices ---------------------------------------------------------------------------


@pytest.mark.parametrize("fps", [0.5, 1, 3, 7, 10, 24, 60])
def test_uniform_picks_the_frame_on_screen_at_each_time(fps):
    exact = exact_vfr_times(40)
    rate = Fraction(fps).limit_denominator(1000)
    targets = [k / rate for k in range(int(exact[-1] * rate) + 1)]
    expected = sorted({on_screen(exact, t) for t in targets})
    got = uniform_indices(np.array([float(t) for t in exact]), fps)
    assert got.tolist() == expected


def test_uniform_between_start_and_end():
    exact = exact_vfr_times(40)
    stamps = np.array([float(t) for t in exact])
    got = uniform_indices(stamps, 2, start=1.25, end=4)
    targets = [Fraction(5, 4) + Fraction(k, 2) for k in range(6)]  # 1.25 ... 3.75
    assert got.tolist() == sorted({on_screen(exact, t) for t in targets})


@pytest.mark.parametrize("rate", [Fraction(25), Fraction(30000, 1001)])
def test_uniform_at_the_native_rate_keeps_every_frame(rate):
    # decord hands out float32 times: 0.2 s reads as 0.20000000298 s, a hair after 0.2 s.
    stamps = (np.arange(300) / float(rate)).astype(np.float32).astype(np.float64)
    assert uniform_indices(stamps, float(rate)).tolist() == list(range(300))
    assert uniform_indices(stamps, float(rate) / 5).tolist() == list(range(0, 300, 5))
    times = [Fraction(1, 5), Fraction(1), Fraction(2), Fraction(7, 3)]
    assert frame_at(stamps, [float(t) for t in times]).tolist() == [
        math.floor(t * rate) for t in times
    ]


def test_frame_at_before_and_after_the_video():
    stamps = np.array([0.5, 1.0, 2.0])
    assert frame_at(stamps, [0.0, 0.5, 0.99, 1.5, 2.0, 99.0]).tolist() == [0, 0, 0, 1, 2, 2]


@pytest.mark.parametrize("fps", [0, -1, math.nan, math.inf])
def test_uniform_rejects_bad_rates(fps):
    with pytest.raises(UsageError):
        uniform_indices(np.arange(10) / 10, fps)


# --- range_indices -----------------------------------------------------------------------------


def test_range_spreads_n_frames_evenly():
    stamps = np.arange(250) / 25  # 10 s at 25 fps
    got = range_indices(stamps, 2.0, 6.0, 8)
    assert len(got) == 8
    assert np.all(np.diff(got) > 0)
    picked = stamps[got]
    assert picked[0] >= 2.0 and picked[-1] <= 6.0
    # Evenly spaced: 0.5 s apart, give or take one frame; none hugging the edges.
    np.testing.assert_allclose(np.diff(picked), 0.5, atol=0.04 + 1e-9)
    assert picked[0] < 2.0 + 0.5 and picked[-1] > 6.0 - 0.5


@pytest.mark.parametrize(("start", "end", "n"), [(0.3, 5.0, 4), (1.0, 1.2, 5), (2.5, 99, 3)])
def test_range_frames_are_on_screen_within_the_range_on_vfr(start, end, n):
    exact = exact_vfr_times(30)
    stamps = np.array([float(t) for t in exact])
    got = range_indices(stamps, start, end, n)
    assert 1 <= len(got) <= n
    assert np.all(np.diff(got) > 0)
    for i in got:
        shown_until = stamps[i + 1] if i + 1 < len(stamps) else math.inf
        assert stamps[i] <= end and shown_until > start, (i, stamps[i])


def test_range_of_one_frame():
    stamps = np.arange(100) / 10
    assert range_indices(stamps, 4.0, 6.0, 1).tolist() == [50]


@pytest.mark.parametrize(
    ("start", "end"),
    [(3.0, 3.0), (5.0, 2.0), (-1.0, 2.0), (11.0, 12.0), (math.nan, 2.0), (1.0, math.nan)],
    ids=["empty", "reversed", "negative", "after-end", "nan-start", "nan-end"],
)
def test_range_rejects_bad_ranges(start, end):
    stamps = np.arange(100) / 10  # 0 - 9.9 s
    with pytest.raises(InvalidTimeError) as exc:
        range_indices(stamps, start, end, 3)
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize("n", [0, -2])
def test_range_rejects_bad_counts(n):
    with pytest.raises(UsageError):
        range_indices(np.arange(100) / 10, 1.0, 2.0, n)


# --- Sampling ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"mode": "everything"},
        {"fps": 0},
        {"fps": -1},
        {"fps": math.nan},
        {"fps": math.inf},
        {"threshold": -1},
        {"threshold": math.nan},
        {"max_gap": 0},
        {"max_gap": -5},
        {"max_gap": math.nan},
    ],
)
def test_sampling_rejects_bad_options(options):
    with pytest.raises(UsageError) as exc:
        Sampling(**options)
    assert "\n" not in str(exc.value)


def test_sampling_modes():
    stamps = np.array([float(t) for t in exact_vfr_times(40)])
    uniform = Sampling(mode="uniform", fps=2)
    scene = Sampling(mode="scene", fps=2, threshold=3, max_gap=math.inf)
    assert uniform.new_filter() is None
    assert isinstance(scene.new_filter(), SceneFilter)
    np.testing.assert_array_equal(uniform.candidates(stamps), uniform_indices(stamps, 2))
    np.testing.assert_array_equal(scene.candidates(stamps), uniform_indices(stamps, 2))
    # The cache key changes with what changes the frames, and only with that.
    assert uniform.key() == Sampling(mode="uniform", fps=2, threshold=9, max_gap=1).key()
    assert uniform.key() != Sampling(mode="uniform", fps=3).key()
    assert scene.key() != Sampling(mode="scene", fps=2, threshold=4, max_gap=math.inf).key()
    assert scene.key() != uniform.key()


# --- SceneFilter on decoded video ---------------------------------------------------------------


WIDTH, HEIGHT = 96, 64


@pytest.fixture(scope="session")
def scene_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("scenes")


@pytest.fixture(scope="session")
def cuts_video(scene_dir) -> tuple[Path, list[float]]:
    """Solid colours with cuts off the 2 fps sampling grid."""
    segments = [("red", 2.2), ("green", 3.1), ("blue", 2.7), ("yellow", 2.0), ("white", 1.5)]
    path = colour_segments(scene_dir / "cuts.mp4", segments, mark=False)
    cuts = np.cumsum([seconds for _, seconds in segments])[:-1].tolist()
    return path, cuts


def textured_background(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    ramps = np.stack([x * 2.0, y * 3.0, (x + y) * 1.5], axis=-1) % 256
    return (ramps * 0.5 + rng.integers(0, 60, (HEIGHT, WIDTH, 3))).astype(np.uint8)


SQUARE = (slice(30, 38), slice(50, 58))  # 8x8 px: 1% of the picture


@pytest.fixture(scope="session")
def static_video(scene_dir) -> Path:
    """12 s of one textured picture at 10 fps (only encoding noise changes)."""
    image = textured_background()
    return write_video(scene_dir / "static.mp4", [image] * 120, [i / 10 for i in range(120)])


@pytest.fixture(scope="session")
def object_video(scene_dir) -> Path:
    """The static picture; from 4.5 s on, a small red square sits in it."""
    image = textured_background()
    with_square = image.copy()
    with_square[SQUARE] = (255, 40, 40)
    frames = [image if i < 45 else with_square for i in range(120)]
    return write_video(scene_dir / "object.mp4", frames, [i / 10 for i in range(120)])


def kept_times(path: Path, sampling: Sampling, batch_size: int = 5, backend=None) -> list[float]:
    scene = sampling.new_filter()
    kept = []
    with open_source(path, backend=backend) as source:
        candidates = sampling.candidates(source.timestamps)
        for batch in source.iter_frames(candidates, batch_size):
            mask = scene.keep(batch.images, batch.timestamps)
            assert mask.dtype == bool and mask.shape == (len(batch),)
            kept.extend(batch.timestamps[mask].tolist())
    return kept


@pytest.mark.parametrize("backend", list(AVAILABLE_BACKENDS))
def test_scene_filter_keeps_one_frame_per_shot(cuts_video, backend):
    path, cuts = cuts_video
    fps = 2
    kept = kept_times(path, Sampling(mode="scene", fps=fps, max_gap=100), backend=backend)
    # The first frame, then the first candidate after each cut, and nothing in between.
    expected = [0.0] + [math.ceil(cut * fps - 1e-6) / fps for cut in cuts]
    np.testing.assert_allclose(kept, expected, atol=1e-3)


def test_scene_filter_drops_near_duplicates_in_a_static_shot(static_video):
    assert kept_times(static_video, Sampling(mode="scene", fps=4, max_gap=100)) == [0.0]


@pytest.mark.parametrize("max_gap", [1.0, 2.5, 4.0])
def test_scene_filter_keeps_a_frame_every_max_gap(static_video, max_gap):
    fps = 2
    kept = kept_times(static_video, Sampling(mode="scene", fps=fps, max_gap=max_gap))
    gaps = np.diff(kept)
    assert kept[0] == 0.0
    # Never longer than max_gap without a frame, and (nothing changing) not much shorter.
    assert np.all(gaps <= max_gap + 1e-6)
    assert np.all(gaps > max_gap - 1 / fps)
    assert kept[-1] > 11.9 - max_gap


def test_scene_filter_sees_a_small_object_enter(object_video):
    with open_source(object_video) as source:
        before, after = source.get_frames([44, 45]).images.astype(np.float32)
    # Too small to move the picture's average: only the per-cell check can catch it.
    assert np.abs(after - before).mean() < Sampling().threshold / 2
    kept = kept_times(object_video, Sampling(mode="scene", fps=2, max_gap=100))
    np.testing.assert_allclose(kept, [0.0, 4.5], atol=1e-3)


def test_scene_filter_does_not_depend_on_batching(cuts_video, object_video):
    sampling = Sampling(mode="scene", fps=3, max_gap=2)
    for path in (cuts_video[0], object_video):
        one_by_one = kept_times(path, sampling, batch_size=1)
        assert kept_times(path, sampling, batch_size=1000) == one_by_one
        assert kept_times(path, sampling, batch_size=7) == one_by_one


# --- thumbnails --------------------------------------------------------------------------------


def block_means(images: np.ndarray, grid: int) -> np.ndarray:
    """Mean of each of grid x grid blocks; block i spans rows floor(i*H/grid) up to the next."""
    n, height, width, _ = images.shape
    out = np.zeros((n, grid, grid, 3))
    for i in range(grid):
        for j in range(grid):
            rows = slice(i * height // grid, (i + 1) * height // grid)
            cols = slice(j * width // grid, (j + 1) * width // grid)
            out[:, i, j] = images[:, rows, cols].reshape(n, -1, 3).mean(axis=1)
    return out


@pytest.mark.parametrize(("height", "width"), [(64, 96), (37, 50), (16, 16), (127, 80)])
def test_thumbnails_are_block_means(height, width):
    images = np.random.default_rng(1).integers(0, 256, (3, height, width, 3), dtype=np.uint8)
    got = thumbnails(images, 16)
    assert got.shape == (3, 16, 16, 3) and got.dtype == np.float32
    np.testing.assert_allclose(got, block_means(images, 16), atol=1e-3)


def test_thumbnails_of_large_frames_are_close_to_block_means():
    # Large frames are sampled on a stride first, which moves block edges by up to a stride (5 px
    # here): close to the true means on smooth pictures,
    y, x = np.mgrid[0:360, 0:640]
    smooth = np.stack([x * 255 / 640, y * 255 / 360, (x + y) * 255 / 1000], axis=-1)
    smooth = smooth[None].astype(np.uint8)
    np.testing.assert_allclose(thumbnails(smooth, 16), block_means(smooth, 16), atol=3.0)
    # and exact where each block is flat.
    levels = np.arange(256).reshape(16, 16)
    blocks = np.repeat(np.repeat(levels, 20, axis=0), 20, axis=1)  # 320x320, 20 px blocks
    flat = np.stack([blocks, 255 - blocks, blocks // 2], axis=-1)[None].astype(np.uint8)
    np.testing.assert_array_equal(thumbnails(flat, 16), block_means(flat, 16))


def test_thumbnails_of_4_by_4_grid_by_hand():
    image = np.zeros((1, 8, 8, 3), np.uint8)
    image[0, :4, :4] = 200  # top-left quarter
    image[0, 4:, 4:, 2] = 100  # blue in the bottom-right quarter
    got = thumbnails(image, 2)[0]
    np.testing.assert_array_equal(got[0, 0], [200, 200, 200])
    np.testing.assert_array_equal(got[1, 1], [0, 0, 100])
    np.testing.assert_array_equal(got[0, 1], [0, 0, 0])


# --- both backends pick the same frames ---------------------------------------------------------


@pytest.mark.media
@pytest.mark.skipif(len(AVAILABLE_BACKENDS) < 2, reason="needs two backends")
@pytest.mark.parametrize("clip", ["bikes", "bigbuckbunny", "carphone"])
def test_backends_sample_the_same_frames(sample_clip, clip):
    path = sample_clip(clip)
    stamps = {}
    for name in AVAILABLE_BACKENDS:
        with open_source(path, backend=name) as source:
            stamps[name] = source.timestamps
    first, *others = stamps.values()
    native = (len(first) - 1) / first[-1]
    for other in others:
        for fps in (0.5, 1, 2, 5, 10, native):
            np.testing.assert_array_equal(uniform_indices(other, fps), uniform_indices(first, fps))
        np.testing.assert_array_equal(
            range_indices(other, 1.0, 3.0, 7), range_indices(first, 1.0, 3.0, 7)
        )
