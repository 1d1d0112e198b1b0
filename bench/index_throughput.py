"""Index-building throughput on a real film: overlap, speed-up over a naive loop, memory.

    python bench/index_throughput.py [--video PATH] [--model random:ViT-B-32] [--limit SECONDS]
                                     [--decoders 1,2,15] [--json PATH]

Every phase runs in a fresh process (multiprocessing "spawn"), so no phase inherits another's
memory, warm caches or thread pools; each phase's peak RSS is measured from its start (the
high-water mark reset through /proc/self/clear_refs, where Linux allows it). The model loads
and runs one warm-up batch before any clock starts. Other load on the machine slows every
phase alike, so the ratios, all measured in one run, are the numbers to compare; absolute
seconds vary.

Phases (on the device videoscout picks, CUDA when present, in the precision it picks there:
float16 on CUDA, bfloat16 on a CPU that multiplies it natively, else float32; unless marked
float32):
  encode      frames of uniform 1 fps sampling, decoded beforehand (timed alone: the reader's
              cost with one decoder and no encoder beside it) and held in memory, then only
              embedded
  index       the real pipeline (``load_or_build`` into a temporary cache), uniform 1 fps,
              with the decoders videoscout picks for this machine (``VIDEOSCOUT_DECODERS``
              unset: one per core beside the encoder's)
  index_dN    the same with N decoder processes (``VIDEOSCOUT_DECODERS=N``), for N = 1, 2 and
              every core (``--decoders`` to choose)
  scene       the same with scene-aware sampling (``Sampling()``, the default)
  index_fp32  the real pipeline, uniform 1 fps, forced to float32: what the pipeline alone gains
  naive       OpenCV reads every frame, keeps one per second, open_clip's own preprocess and
              float32, embeds each full batch; nothing overlaps
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_MODEL = "random:ViT-B-32"
GOALS = {"overlap": 1.15, "speedup": 3.0}


# -- phases (each runs in its own process) -------------------------------------------------


def _setup(model: str, dtype: str | None = None):
    """The embedder, loaded and warmed up, so that no phase pays for loading. ``dtype`` forces
    a precision; by default videoscout picks one for the hardware (``models/device.py``)."""
    import numpy as np

    from videoscout.models import get_embedder

    if dtype:
        os.environ["VIDEOSCOUT_DTYPE"] = dtype
    embedder = get_embedder(model)
    side = embedder.image_size
    embedder.embed_images(np.zeros((2, side, side * 16 // 9, 3), np.uint8))
    return embedder


def _cpu_seconds() -> float:
    """CPU seconds of all this process's threads so far, and of its children that ended (the
    decoder processes, once a build is over)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime


def _children_rss_mb() -> float:
    """The RSS of this process's children (the decoder processes) now, summed, in MB; 0 where
    there is no /proc."""
    me, total = os.getpid(), 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # after "pid (name)"
            if int(fields[1]) != me:  # the parent's pid
                continue
            status = (stat.parent / "status").read_text().splitlines()
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        total += sum(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return total / 1024


class _ChildrenPeak:
    """Samples the children's summed RSS every 50 ms while a phase runs (ru_maxrss would count
    a spawned child's moment as a fork of this 1.5 GB process)."""

    def __init__(self) -> None:
        import threading

        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, _children_rss_mb())

    def __enter__(self) -> _ChildrenPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _rss_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MB, from /proc/self/status (VmRSS, VmHWM);
    elsewhere the peak is ru_maxrss and the current value unknown (nan)."""
    try:
        fields = dict(
            line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines()
        )
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024
    except (OSError, KeyError, ValueError):
        return float("nan"), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak_rss() -> bool:
    """Lower this process's peak RSS to its current RSS (Linux 4.0+), so that the next peak is
    the phase's own and not the model loading's. False where that is not possible: the peak
    is then the process's since it started, loading and warm-up included."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _model_device(embedder) -> tuple[str, str]:
    """(device, dtype) of the embedder's model, read from its weights."""
    weight = next(embedder.model.parameters())
    return str(weight.device), str(weight.dtype).removeprefix("torch.")


def _machine_busy() -> float:
    """CPU seconds all processes on the machine have used (Linux), to tell others' load apart."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(x) for x in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return float("nan")
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _measure(run, embedder) -> dict:
    """Time ``run()`` (which returns a dict of extra fields) in wall and CPU seconds, with the
    peak RSS (and on CUDA the peak GPU memory) while it ran."""
    import torch

    device, weights = _model_device(embedder)
    cuda = device.startswith("cuda")
    rss_setup, _ = _rss_mb()
    phase_peak = _reset_peak_rss()
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    cpu0 = _cpu_seconds()
    busy0 = _machine_busy()
    start = time.perf_counter()
    with _ChildrenPeak() as children:
        result = run()
    if cuda:
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    cpu1 = _cpu_seconds()
    _, rss_peak = _rss_mb()
    others = max(0.0, _machine_busy() - busy0 - (cpu1 - cpu0)) / seconds
    return {
        **{
            "seconds": seconds,
            "cpu": cpu1 - cpu0,
            "rss_setup": rss_setup,
            "rss_peak": rss_peak,
            "rss_peak_is_phase": phase_peak,
            "gpu_peak": torch.cuda.max_memory_allocated() / 2**20 if cuda else None,
            "others": others,
            "children_peak": children.peak,
        },
        **{
            "threads": torch.get_num_threads(),
            "precision": embedder.precision,
            "device": device,
            "weights": weights,
            **result,
        },
    }


def phase_encode(video: str, model: str, batch_size: int) -> dict:
    """Embed pre-decoded frames: exactly those the pipeline samples, in its batches."""
    from videoscout.retrieval.build import BuildStats, sampled_batches
    from videoscout.video import Sampling, fit_short_side, open_source, probe

    embedder = _setup(model)
    info = probe(video)
    size = fit_short_side(info.width, info.height, embedder.image_size)
    batches = []

    def decode() -> dict:
        """The index build's reader, alone: decoding and sampling with no encoder beside."""
        with open_source(info.path, size=size, backend="pyav", threads=1) as source:
            stats = BuildStats()
            batches.extend(sampled_batches(source, Sampling(mode="uniform"), batch_size, stats))
        return {}

    decoded = _measure(decode, embedder)

    def run() -> dict:
        for batch in batches:
            embedder.embed_images(batch.images)
        frames = sum(len(b) for b in batches)
        return {
            "frames": frames,
            "decode_seconds": decoded["seconds"],
            "decode_cpu": decoded["cpu"],
        }

    return _measure(run, embedder)


def phase_index(
    video: str,
    model: str,
    batch_size: int,
    mode: str,
    dtype: str | None = None,
    decoders: int | None = None,
) -> dict:
    """The real pipeline: probe, decode + sample in a reader thread (or decoder processes),
    embed, save the index. ``decoders``: how many decode (default: videoscout's choice)."""
    from videoscout.retrieval import IndexCache, load_or_build
    from videoscout.video import Sampling, probe
    from videoscout.video.decoders import available_cores, decoder_count

    if decoders is not None:
        os.environ["VIDEOSCOUT_DECODERS"] = str(decoders)
    embedder = _setup(model, dtype)
    sampling = Sampling(mode=mode)

    with tempfile.TemporaryDirectory(prefix="vs-bench-cache-") as cache_dir:

        def run() -> dict:
            result = load_or_build(
                probe(video), embedder, sampling, IndexCache(cache_dir), batch_size=batch_size
            )
            manifest, stats = result.index.manifest, result.stats
            return {
                "frames": manifest["frames"],
                "candidates": manifest["candidates"],
                "backend": manifest["backend"],
                "reader": stats.reader_seconds,
                "embed": stats.embed_seconds,
                "decoders": stats.decoders,
                "asked": decoder_count(),
                "cores": available_cores(),
            }

        return _measure(run, embedder)


def phase_naive(video: str, model: str, batch_size: int) -> dict:
    """What one writes first: read every frame with OpenCV, keep one per second, embed with
    open_clip's defaults (float32)."""
    import cv2
    import numpy as np
    import open_clip
    import torch
    from PIL import Image

    embedder = _setup(model, "float32")
    net = embedder.model
    # open_clip's preprocess makes CPU float32 tensors; the weights may live on a GPU.
    weight = next(net.parameters())
    preprocess = open_clip.image_transform(
        embedder.image_size, is_train=False, mean=embedder.mean, std=embedder.std
    )

    def embed(images: list) -> np.ndarray:
        batch = torch.stack(images).to(device=weight.device, dtype=weight.dtype)
        with torch.inference_mode():
            features = net.encode_image(batch)
        return torch.nn.functional.normalize(features.float(), dim=-1).cpu().numpy()

    def run() -> dict:
        capture = cv2.VideoCapture(video)
        if not capture.isOpened():
            raise SystemExit(f"OpenCV cannot open {video}")
        pending, vectors, frames, next_time = [], [], 0, 0.0
        while True:
            ok, bgr = capture.read()
            if not ok:
                break
            if capture.get(cv2.CAP_PROP_POS_MSEC) / 1000 < next_time:
                continue
            next_time += 1.0
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            pending.append(preprocess(Image.fromarray(rgb)))
            frames += 1
            if len(pending) == batch_size:
                vectors.append(embed(pending))
                pending = []
        if pending:
            vectors.append(embed(pending))
        capture.release()
        return {"frames": frames}

    return _measure(run, embedder)


def _in_subprocess(function, *args) -> dict:
    # Not a multiprocessing.Pool: its daemon workers may not start decoder processes.
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


# -- the video -------------------------------------------------------------------------------


def trimmed_copy(video: Path, limit: float, folder: Path) -> Path:
    """The first ``limit`` seconds (to the next keyframe) of the video stream, copied, not
    re-encoded, so that every phase, the naive one included, sees the same shorter file."""
    import av

    target = folder / f"{video.stem}-first-{limit:g}s.mp4"
    with av.open(str(video)) as source, av.open(str(target), "w") as copy:
        stream = source.streams.video[0]
        out = copy.add_stream_from_template(stream)
        for packet in source.demux(stream):
            if packet.dts is None:
                continue
            if packet.is_keyframe and packet.pts * stream.time_base >= limit:
                break
            packet.stream = out
            copy.mux(packet)
    return target


# -- report ----------------------------------------------------------------------------------


def _peak(phase: dict) -> str:
    """The phase's peak RSS; starred where it is the process's since it started."""
    return f"{phase['rss_peak']:.0f}" + ("" if phase["rss_peak_is_phase"] else "*")


def _row(name: str, phase: dict) -> str:
    rate = phase["frames"] / phase["seconds"] if phase["seconds"] else 0.0
    gpu = "" if phase["gpu_peak"] is None else f"{phase['gpu_peak']:9.0f}"
    return (
        f"  {name:<28}{phase['seconds']:8.1f} s{phase['cpu']:8.1f} s{phase['frames']:7d}"
        f"{rate:9.2f}{phase['rss_setup']:9.0f}{_peak(phase):>9}{phase['others']:8.2f}{gpu}"
    )


def report(video: Path, args: argparse.Namespace, phases: dict) -> None:
    encode, index, scene, index32, naive = (
        phases[k] for k in ("encode", "index", "scene", "index_fp32", "naive")
    )
    overlap = index["seconds"] / encode["seconds"]
    speedup = naive["seconds"] / index["seconds"]
    print()
    length = f"{args.limit or 'all'} s"
    print(f"video {video.name} ({length}), model {args.model}, batch {args.batch_size}, ", end="")
    print(f"backend {index['backend']}, torch threads {index['threads']}, cpus {os.cpu_count()}")
    print(
        f"device {index['device']}, precision {index['precision']} (weights "
        f"{index['weights']}); index_fp32 weights {index32['weights']}, naive loop weights "
        f"{naive['weights']}"
    )
    gpu = "" if index["gpu_peak"] is None else f"{'GPU MB':>9}"
    print(f"  {'phase':<28}{'wall':>10}{'cpu':>10}{'frames':>7}{'frames/s':>9}", end="")
    print(f"{'RSS MB':>9}{'peak MB':>9}{'others':>8}{gpu}")
    print(_row(f"encode only, {encode['precision']}", encode))
    print(_row(f"index uniform 1 fps, {index['precision']}", index))
    print(_row(f"index scene-aware, {scene['precision']}", scene))
    print(_row(f"index uniform 1 fps, {index32['precision']}", index32))
    print(_row(f"naive OpenCV loop, {naive['precision']}", naive))
    print("  RSS MB: at the phase's start (after imports, model load and warm-up); peak MB: the")
    print("  highest RSS while the phase ran (its high-water mark is reset to RSS MB first; *: no")
    print("  reset here, so the process's peak since it started, loading included)")
    if index["gpu_peak"] is not None:
        print("  GPU MB: torch's peak allocated CUDA memory while the phase ran")
    print("  others: CPU cores other processes kept busy meanwhile (noise; 0 on a quiet machine)")
    for name, phase in (("uniform", index), ("scene", scene)):
        print(
            f"  index {name}: reader thread {phase['reader']:.1f} s (decode + sample), "
            f"embedding {phase['embed']:.1f} s, {phase['candidates']} candidates"
        )
    # Perfect overlap still needs the slower of the two halves; on a CPU the two also share
    # the cores, so every CPU-second of decoding and of encoding, on os.cpu_count() cores.
    cores = os.cpu_count() or 1
    halves = max(encode["seconds"], encode["decode_seconds"])
    floor = max(halves, (encode["decode_cpu"] + encode["cpu"]) / cores)
    print(
        f"  decoding alone (the index's reader, 1 decoder thread, no encoder): "
        f"{encode['decode_seconds']:.1f} s wall, {encode['decode_cpu']:.1f} s CPU"
    )
    print()
    print("results")
    ok = "ok" if overlap <= GOALS["overlap"] else "MISSED"
    print(f"  1. index / encode-only time (uniform)  {overlap:6.3f}   goal <= 1.15  {ok}")
    print(
        f"     floor max(encode, decode) = max({encode['seconds']:.1f}, "
        f"{encode['decode_seconds']:.1f}) = {halves:.1f} s; achieved / floor = "
        f"{index['seconds'] / halves:.2f}"
    )
    print(
        f"     with the cores shared: max(encode, decode, (decode CPU + encode CPU) / {cores}) "
        f"= {floor:.1f} s = {floor / encode['seconds']:.3f} of encode; achieved / floor = "
        f"{index['seconds'] / floor:.2f}"
    )
    ok = "ok" if speedup >= GOALS["speedup"] else "MISSED"
    print(f"  2. speed-up over the naive loop        {speedup:6.2f}x  goal >= 3x    {ok}")
    print(
        f"     ceiling if decoding were free: naive / encode-only = "
        f"{naive['seconds'] / encode['seconds']:.2f}x"
    )
    print(
        f"     of which the pipeline, both in float32: naive / index float32 = "
        f"{naive['seconds'] / index32['seconds']:.2f}x; the precision: index float32 / index "
        f"{index['precision']} = {index32['seconds'] / index['seconds']:.2f}x"
    )
    print(
        f"  3. scene-aware / uniform frames        {scene['frames'] / index['frames']:6.3f}"
        f"   ({scene['frames']} / {index['frames']}); scene index {scene['seconds']:.1f} s "
        f"= {scene['seconds'] / index['seconds']:.2f} of uniform"
    )
    peaks = ", ".join(f"{k} {_peak(phases[k])}" for k in phases)
    print(f"  4. peak RSS MB per phase (each in its own process): {peaks}")
    workers = ", ".join(
        f"{k} {phases[k]['children_peak']:.0f}" for k in phases if phases[k].get("decoders", 1) > 1
    )
    if workers:
        print(f"     decoder processes' peak RSS MB, all together: {workers}")
    if index["gpu_peak"] is not None:
        gpu = ", ".join(f"{k} {phases[k]['gpu_peak']:.0f}" for k in phases)
        print(f"     peak GPU MB per phase: {gpu}")
    report_decoders(phases, args.video_seconds)


def report_decoders(phases: dict, video_seconds: float) -> None:
    """Index time with 1, 2, ... decoder processes against the floor each allows."""
    encode = phases["encode"]
    decode = encode["decode_seconds"]
    print(
        f"  5. decoders: index time (uniform 1 fps) against the floor max(encode, decode / "
        f"decoders), encode {encode['seconds']:.2f} s, decode {decode:.2f} s (one decoder)"
    )
    print(
        f"     {'decoders':>8}{'used':>6}{'index s':>9}{'floor s':>9}{'/ floor':>9}"
        f"{'s per hour':>12}{'cpu s':>8}"
    )
    sweep = sorted((p["asked"], p) for k, p in phases.items() if k.startswith("index_d"))
    for asked, phase in sweep:
        floor = max(encode["seconds"], decode / asked)
        hour = phase["seconds"] * 3600 / video_seconds
        print(
            f"     {asked:>8}{phase['decoders']:>6}{phase['seconds']:>9.2f}{floor:>9.2f}"
            f"{phase['seconds'] / floor:>9.2f}{hour:>12.0f}{phase['cpu']:>8.1f}"
        )
    index = phases["index"]
    print(
        f"     videoscout's choice here: {index['decoders']} decoder(s) (of "
        f"{index['cores']} cores), {index['seconds']:.2f} s for {video_seconds:.0f} s of "
        f"video: {index['seconds'] * 3600 / video_seconds:.0f} s per hour"
    )
    print("     used: decoder processes that ran (1 = the reader thread; short videos stay 1)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--video", type=Path, help="default: the full Big Buck Bunny film")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--limit", type=float, help="only the first SECONDS of the video")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--decoders",
        type=lambda text: [int(n) for n in text.split(",")],
        help="decoder counts to time the index with, e.g. 1,2,15 (default: 1, 2, the cores "
        "beside the encoder's and every core)",
    )
    parser.add_argument("--json", type=Path, help="also write every phase's numbers here")
    args = parser.parse_args(argv)

    from videoscout.video import probe
    from videoscout.video.decoders import available_cores, decoder_count

    if args.video is None:
        from videoscout.samples import sample_path

        args.video = sample_path("bbb-full")
    chosen = decoder_count()
    sweep = sorted(set(args.decoders or (1, 2, chosen, available_cores())))
    with tempfile.TemporaryDirectory(prefix="vs-bench-") as scratch:
        video = args.video
        if args.limit:
            video = trimmed_copy(args.video, args.limit, Path(scratch))
        args.video_seconds = probe(video).duration
        index = (phase_index, str(video), args.model, args.batch_size, "uniform")
        plan = {
            "encode": (phase_encode, str(video), args.model, args.batch_size),
            **{f"index_d{n}": (*index, None, n) for n in sweep},
            "scene": (phase_index, str(video), args.model, args.batch_size, "scene"),
            "index_fp32": (
                phase_index,
                str(video),
                args.model,
                args.batch_size,
                "uniform",
                "float32",
            ),
            "naive": (phase_naive, str(video), args.model, args.batch_size),
        }
        if chosen not in sweep:
            plan["index"] = index
        phases = {}
        print(f"load average {os.getloadavg()[0]:.2f} before the run", file=sys.stderr)
        for name, (function, *params) in plan.items():
            print(f"{name} ...", end=" ", flush=True, file=sys.stderr)
            phases[name] = _in_subprocess(function, *params)
            print(f"{phases[name]['seconds']:.1f} s", file=sys.stderr)
        # The index as videoscout builds it here: the sweep's run with its own choice.
        phases.setdefault("index", phases.get(f"index_d{chosen}"))
        report(args.video, args, phases)
    if args.json:
        summary = {
            "video": str(args.video),
            "video_seconds": args.video_seconds,
            "model": args.model,
            "batch_size": args.batch_size,
            "cores": available_cores(),
            "decoders_chosen": chosen,
            "phases": phases,
        }
        args.json.write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
