"""ganzoo against the reference code of pix2pix and CycleGAN, at the reference's own sizes.

The reference is the authors' repository, pytorch-CycleGAN-and-pix2pix, checked out somewhere on
this machine (``--reference``); nothing is downloaded. Both sides train the same networks on the same
synthetic folders: pix2pix a U-Net-256 (ngf 64, BatchNorm, dropout) against a 70×70 PatchGAN (ndf 64),
CycleGAN two ResNet-9 generators (ngf 64, InstanceNorm) against two PatchGANs, batch 1, images
resized to 286 and cropped to 256, every option at the reference's defaults except what a CPU run
without a display needs.

Each side runs as its own command in a child process: the reference's ``train.py`` and ``ganzoo
train``. Both write a line per iteration to a log file (``loss_log.txt``; ``metrics.jsonl``), which
this script watches; the time between two lines is one iteration, data loading, logging and all. The
first iterations (first calls, allocator warm-up) are left out, the child is stopped once enough
iterations are in, and its peak resident memory is read from the operating system. The sides
alternate within each repeat; the table gives the median iteration of each side, the median of the
per-repeat ratios (the two runs of a repeat sit side by side in time), and a roofline line: the
floating-point work of one iteration (counted by ``torch.utils.flop_counter`` on a ganzoo step), the
rate each side achieves, and its fraction of this machine's fp32 matrix-multiply rate.

``--profile`` prints where a ganzoo iteration's time goes, by operator class (``torch.profiler``).

Usage::

    python benchmarks/reference.py --reference ~/src/pytorch-CycleGAN-and-pix2pix
    python benchmarks/reference.py --reference REF --cases pix2pix --iterations 20 --repeats 3
    python benchmarks/reference.py --profile --cases cyclegan       # no reference needed

The reference imports ``dominate`` (its HTML pages), which must be importable by the Python that runs
this script (``pip install dominate``); visdom and wandb are not needed (``--display_id 0``).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import machine, median, table

#: Every case: the folder layout, the reference's options, ganzoo's words, iterations timed by default.
CASES: dict[str, dict[str, Any]] = {
    "pix2pix": {
        "layout": "aligned",
        "reference": ["--model", "pix2pix", "--direction", "AtoB"],
        "ganzoo": ["recipe=pix2pix", "data=aligned", "generator.ngf=64", "discriminator.ndf=64"],
        "iterations": 20, "warmup": 4,
    },
    "cyclegan": {
        "layout": "unaligned",
        "reference": ["--model", "cycle_gan"],
        "ganzoo": ["recipe=cyclegan", "data=unaligned", "generator.ngf=64", "generator.n_blocks=9", "discriminator.ndf=64"],
        "iterations": 6, "warmup": 2,
    },
}

#: Images per folder, and their size before the reference's resize to 286 and crop to 256.
IMAGES, SIDE = 16, 286
#: Options of the reference's train.py that every run takes: the CPU, no visdom display, no HTML
#: pages, a log line every iteration, no checkpoints or image dumps while timing.
REFERENCE_OPTIONS = [
    "--gpu_ids", "-1", "--display_id", "0", "--no_html", "--print_freq", "1", "--batch_size", "1",
    "--n_epochs_decay", "0", "--save_epoch_freq", "1000000", "--save_latest_freq", "1000000000",
    "--display_freq", "1000000000", "--update_html_freq", "1000000000",
]
#: The same for ganzoo: a log line every step, no samples, checkpoints, evaluations or progress bar.
GANZOO_WORDS = [
    "data.image_size=256", "data.load_size=286", "train.batch_size=1", "train.epochs=0", "train.log_every=1",
    "train.progress=false", "train.sample_every=0", "train.checkpoint_every=0", "eval.every=0",
]


def make_folders(root: Path) -> None:
    """Synthetic JPEGs: ``aligned/train`` (A|B side by side) and ``unaligned/trainA``, ``trainB``."""
    import numpy as np
    from PIL import Image

    noise = np.random.default_rng(0)
    (root / "aligned" / "train").mkdir(parents=True)
    for index in range(IMAGES):
        pair = noise.integers(0, 256, (SIDE, 2 * SIDE, 3), dtype=np.uint8)
        Image.fromarray(pair).save(root / "aligned" / "train" / f"{index:02d}.jpg", quality=90)
    for side in ("trainA", "trainB"):
        (root / "unaligned" / side).mkdir(parents=True)
        for index in range(IMAGES):
            image = noise.integers(0, 256, (SIDE, SIDE, 3), dtype=np.uint8)
            Image.fromarray(image).save(root / "unaligned" / side / f"{index:02d}.jpg", quality=90)


def _reference_command(case: str, reference: Path, data: Path, work: Path, iterations: int, threads: int) -> tuple[list[str], Path]:
    epochs = iterations // IMAGES + 2
    command = [
        sys.executable, "-u", str(reference / "train.py"), "--dataroot", str(data / CASES[case]["layout"]),
        "--name", case, "--checkpoints_dir", str(work), "--n_epochs", str(epochs), "--num_threads", str(threads),
        *CASES[case]["reference"], *REFERENCE_OPTIONS,
    ]
    return command, work / case / "loss_log.txt"


def _ganzoo_command(case: str, data: Path, work: Path, iterations: int, extra: list[str]) -> tuple[list[str], Path]:
    command = [
        sys.executable, "-m", "ganzoo", "train", *CASES[case]["ganzoo"], f"data.root={data / CASES[case]['layout']}",
        *GANZOO_WORDS, f"train.steps={iterations + 1}", f"out={work / 'run'}", *extra,
    ]
    return command, work / "run" / "metrics.jsonl"


def _watch(command: list[str], log: Path, iterations: int, cwd: Path, timeout: float, extra_env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``command`` until ``log`` has ``iterations`` lines; their arrival times and the peak RSS.

    Lines are stamped as they appear (polled every 5 ms, a few hundred times finer than an iteration).
    The child is killed once the last one is in, so that neither side's end of run (checkpoints, plots)
    is measured.
    """
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    output = log.parent.parent / f"{log.parent.name}-output.txt"
    with open(output, "w") as sink:
        child = subprocess.Popen(command, cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT)
    stamps: list[float] = []
    seen, started = 0, time.monotonic()
    try:
        while len(stamps) < iterations:
            if child.poll() is not None:
                raise RuntimeError(f"{command[2]} stopped after {len(stamps)} iterations:\n{output.read_text()[-3000:]}")
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"{command[2]}: {len(stamps)} of {iterations} iterations in {timeout:.0f} s")
            if log.exists():
                lines = log.read_text(errors="replace").splitlines()
                # loss_log.txt opens with a header line; its iterations start with "(epoch".
                count = sum(1 for line in lines if line.startswith(("(epoch", "{")))
                now = time.perf_counter()
                stamps.extend([now] * (count - seen))
                seen = count
            time.sleep(0.005)
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
        _, _, usage = os.wait4(child.pid, 0)
        child.returncode = -9
    return {"stamps": stamps, "peak_rss_mb": usage.ru_maxrss / 1024}


def _intervals(stamps: list[float], warmup: int) -> list[float]:
    return [b - a for a, b in zip(stamps[warmup:], stamps[warmup + 1:], strict=False)]


def gemm_rate() -> float:
    """This machine's fp32 matrix-multiply rate in GFLOP/s: the best of several 2048² products, torch's threads."""
    import torch

    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    for _ in range(3):
        a @ b
    best = float("inf")
    for _ in range(7):
        started = time.perf_counter()
        for _ in range(4):
            a @ b
        best = min(best, (time.perf_counter() - started) / 4)
    return 2 * 2048**3 / best / 1e9


def _trainer(case: str, data: Path, out: Path, extra: list[str] | None = None) -> Any:
    from ganzoo.training import Trainer, resolve_run_config

    words = [*CASES[case]["ganzoo"], f"data.root={data / CASES[case]['layout']}", *GANZOO_WORDS, "train.steps=1000", f"out={out}", *(extra or [])]
    return Trainer.create(resolve_run_config(words))


def step_flops(case: str, data: Path, work: Path) -> float:
    """Floating-point operations of one ganzoo training step (G and D, forward and backward), after one warm-up step."""
    from torch.utils.flop_counter import FlopCounterMode

    trainer = _trainer(case, data, work / "flops")
    for net in trainer.networks.values():
        net.train()
    batches = iter(trainer.loader)
    trainer.train_step(next(batches))
    counter = FlopCounterMode(display=False)
    with counter:
        trainer.step = 1
        trainer.train_step(next(batches))
    return float(counter.get_total_flops())


#: Operator classes of the profile, tried in order: the first whose words a name contains wins.
OPERATOR_CLASSES = [
    ("convolution backward", ("convolution_backward",)),
    ("convolution forward", ("convolution", "conv2d", "conv_transpose", "mkldnn_conv")),
    ("normalisation", ("batch_norm", "instance_norm", "_norm")),
    ("activations", ("relu", "tanh", "threshold", "leaky", "sigmoid", "hardtanh")),
    ("padding", ("pad",)),
    ("concatenation", ("cat", "narrow", "slice")),
    ("dropout", ("dropout", "bernoulli")),
    ("optimiser", ("_foreach", "adam", "lerp", "addcdiv", "addcmul")),
    ("losses", ("l1_loss", "mse_loss", "binary_cross_entropy", "abs", "sgn", "sub", "mean", "sum")),
    ("copies and fills", ("copy_", "clone", "contiguous", "zero_", "fill_", "empty", "zeros", "ones", "full")),
]


def _operator_class(name: str) -> str:
    lowered = name.lower()
    for label, words in OPERATOR_CLASSES:
        if any(word in lowered for word in words):
            return label
    return "other operators"


def profile(case: str, data: Path, work: Path, steps: int = 3) -> str:
    """Where ganzoo's iterations go, by operator class: self CPU time of each aten operator, summed."""
    from torch.profiler import ProfilerActivity, record_function
    from torch.profiler import profile as torch_profile

    trainer = _trainer(case, data, work / "profile")
    for net in trainer.networks.values():
        net.train()
    feed = trainer.feed
    for index in range(2):  # warm-up
        trainer.step = index
        trainer.train_step(feed.next()[0])
    with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
        started = time.perf_counter()
        for index in range(2, 2 + steps):
            with record_function("ganzoo::data"):
                batch = feed.next()[0]
            trainer.step = index
            losses = trainer.train_step(batch)
            [float(value) for value in losses.values()]
        wall = time.perf_counter() - started
    classes: dict[str, float] = {}
    data_time = 0.0
    for event in prof.events():
        if event.name == "ganzoo::data":
            data_time += event.cpu_time_total / 1e6
            continue
        if not event.name.startswith("aten::"):
            continue
        parent = event.cpu_parent
        while parent is not None and parent.name != "ganzoo::data":
            parent = parent.cpu_parent
        if parent is None:  # operators run while loading data count there, not in their classes
            label = _operator_class(event.name)
            classes[label] = classes.get(label, 0.0) + event.self_cpu_time_total / 1e6
    classes["data loading and decoding"] = data_time
    classes["Python and other (the rest of the wall time)"] = max(wall - sum(classes.values()), 0.0)
    rows = [
        [label, f"{seconds / steps:.3f}", f"{100 * seconds / wall:.1f} %"]
        for label, seconds in sorted(classes.items(), key=lambda item: -item[1])
    ]
    rows.append(["total (wall clock)", f"{wall / steps:.3f}", "100 %"])
    return table(rows, [f"{case}: operator class", "s per iteration", "share"])


def compare(case: str, data: Path, work: Path, words: list[str], pairs: int, block: int) -> dict[str, list[float]]:
    """ganzoo's steps with ``words`` against its default steps, in alternating blocks within one process.

    Both trainers are built from the same seed (the same starting weights) and draw from one loader;
    see ``throughput._alternate``. Ratios above 1: the variant is faster.
    """
    from throughput import _alternate, _trainer_step

    variant = _trainer(case, data, work / "variant", words)
    baseline = _trainer(case, data, work / "baseline")
    for trainer in (variant, baseline):
        for net in trainer.networks.values():
            net.train()
    return _alternate(
        {"variant": _trainer_step(variant), "baseline": _trainer_step(baseline)}, baseline.loader,
        block=block, log_every=1, pairs=pairs,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference", type=Path, help="a checkout of pytorch-CycleGAN-and-pix2pix (never downloaded)")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated: " + ", ".join(CASES))
    parser.add_argument("--iterations", type=int, help="iterations timed per run, after the warm-up (default per case)")
    parser.add_argument("--repeats", type=int, default=2, help="runs of each side, alternating (default 2)")
    parser.add_argument("--reference-threads", type=int, default=0,
                        help="the reference's --num_threads (data-loading processes); 0, like ganzoo's train.num_workers default")
    parser.add_argument("--reference-env", action="append", default=[], metavar="KEY=VALUE",
                        help="an environment variable for the reference's runs only, e.g. OMP_WAIT_POLICY=PASSIVE (repeatable)")
    parser.add_argument("--ganzoo-words", default="", help="extra words for ganzoo's side, space-separated")
    parser.add_argument("--profile", action="store_true", help="print where ganzoo's iterations go, by operator class")
    parser.add_argument("--compare", metavar="WORDS",
                        help="time ganzoo's steps with these words (space-separated) against its defaults, interleaved in one process")
    parser.add_argument("--pairs", type=int, default=6, help="pairs of blocks for --compare (default 6)")
    parser.add_argument("--block", type=int, default=0, help="steps per block for --compare (default: 3 for pix2pix, 1 for cyclegan)")
    args = parser.parse_args()
    cases = [case.strip() for case in args.cases.split(",") if case.strip()]
    unknown = [case for case in cases if case not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; expected some of {', '.join(CASES)}")
    if not (args.profile or args.compare) and (args.reference is None or not (args.reference / "train.py").is_file()):
        parser.error("--reference must name a checkout of pytorch-CycleGAN-and-pix2pix (a folder with train.py)")
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f} at the start\n")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        make_folders(root / "data")
        if args.compare:
            for case in cases:
                block = args.block or (3 if case == "pix2pix" else 1)
                ratios = compare(case, root / "data", root / case, args.compare.split(), args.pairs, block)
                wall, cpu = ratios["step_ratios"], ratios["cpu_step_ratios"]
                print(f"{case} [{args.compare}] against the defaults: step-time ratio (default ÷ variant) "
                      f"{median(wall):.3f} ({min(wall):.2f}–{max(wall):.2f}), by CPU time {median(cpu):.3f}, {len(wall)} pairs of {block}-step blocks")
            return
        if args.profile:
            for case in cases:
                print(profile(case, root / "data", root / case) + "\n")
            return
        rate = gemm_rate()
        print(f"fp32 GEMM (2048², {__import__('torch').get_num_threads()} threads): {rate:.0f} GFLOP/s\n")
        rows, roofline = [], []
        for case in cases:
            spec = CASES[case]
            iterations = args.iterations or spec["iterations"]
            total = spec["warmup"] + iterations + 1
            runs: dict[str, list[dict[str, Any]]] = {"reference": [], "ganzoo": []}
            for repeat in range(args.repeats):
                order = ("reference", "ganzoo") if repeat % 2 == 0 else ("ganzoo", "reference")
                for side in order:
                    work = root / f"{case}-{side}-{repeat}"
                    work.mkdir()
                    if side == "reference":
                        command, log = _reference_command(case, args.reference.resolve(), root / "data", work, total, args.reference_threads)
                        cwd = args.reference.resolve()
                    else:
                        command, log = _ganzoo_command(case, root / "data", work, total, args.ganzoo_words.split())
                        cwd = work
                    load = os.getloadavg()[0]
                    extra_env = dict(item.split("=", 1) for item in args.reference_env) if side == "reference" else None
                    result = _watch(command, log, total, cwd, timeout=120 + 120 * total, extra_env=extra_env)
                    result["median"] = median(_intervals(result["stamps"], spec["warmup"]))
                    runs[side].append(result)
                    print(f"  {case} {side} run {repeat + 1}: {result['median']:.3f} s/iteration, peak {result['peak_rss_mb']:.0f} MiB (load average {load:.1f} before it)", flush=True)
            ours, theirs = (median([r["median"] for r in runs[side]]) for side in ("ganzoo", "reference"))
            ratios = [r["median"] / g["median"] for r, g in zip(runs["reference"], runs["ganzoo"], strict=True)]
            mem_ours, mem_theirs = (median([r["peak_rss_mb"] for r in runs[side]]) for side in ("ganzoo", "reference"))
            rows.append([
                case, f"{theirs:.3f}", f"{ours:.3f}", f"{median(ratios):.3f} ({min(ratios):.2f}–{max(ratios):.2f})",
                f"{mem_theirs:,.0f}", f"{mem_ours:,.0f}",
            ])
            flops = step_flops(case, root / "data", root / f"{case}-flops")
            for side, seconds in (("reference", theirs), ("ganzoo", ours)):
                achieved = flops / seconds / 1e9
                roofline.append([case, side, f"{flops / 1e9:.1f}", f"{achieved:.1f}", f"{100 * achieved / rate:.1f} %"])
        print()
        print(table(rows, [
            "case", "reference s/iteration", "ganzoo s/iteration", "speed ratio (reference ÷ ganzoo), median (range)",
            "reference peak MiB", "ganzoo peak MiB",
        ]))
        print()
        print(table(roofline, ["case", "side", "GFLOP per iteration", "achieved GFLOP/s", f"of the {rate:.0f} GFLOP/s GEMM rate"]))


if __name__ == "__main__":
    main()
