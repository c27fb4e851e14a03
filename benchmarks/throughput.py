"""ganzoo's trainer against a plain hand-written PyTorch loop, and the trainer's fast paths.

Both sides train the identical networks (built by one ganzoo run from the resolved configuration and
seed) on the identical batches; the hand-written side is :class:`plain_loops.PlainLoop`, the recipe's
step written out in plain PyTorch with its own optimisers and losses. Both log their losses (one host
synchronisation) at the same interval. Each measurement runs in its own child process, so that peak
memory can be read; the two sides alternate and repeat within one run of this script, and the table
reports medians and the median of the per-repeat ratios.

Usage::

    python benchmarks/throughput.py                    # every recipe, and Pix2Pix and CycleGAN at 256×256
    python benchmarks/throughput.py --cases dcgan --fast-paths
    python benchmarks/throughput.py --steps-only         # the interleaved step ratios alone
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from _common import StepClock, machine, median, peak_rss_mb, run_child, table

#: Steps before the clock starts (first calls, allocator warm-up), unless a case says otherwise.
WARMUP = 5

#: Every recipe with its defaults on the built-in digits, and the two image-to-image recipes at
#: 256×256 with the reference widths. ``steps`` makes each measurement last some 10 to 60 s here.
CASES: dict[str, dict[str, Any]] = {
    "vanilla": {"words": ["recipe=vanilla"], "steps": 600, "log_every": 50},
    "dcgan": {"words": ["recipe=dcgan"], "steps": 120, "log_every": 10},
    "cgan": {"words": ["recipe=cgan"], "steps": 20, "log_every": 5},
    "wgan-gp": {"words": ["recipe=wgan-gp"], "steps": 120, "log_every": 10},
    "pix2pix": {"words": ["recipe=pix2pix", "train.epochs=0"], "steps": 120, "log_every": 10},
    "cyclegan": {"words": ["recipe=cyclegan", "train.epochs=0"], "steps": 80, "log_every": 10},
    "exgan": {"words": ["recipe=exgan", "train.epochs=0"], "steps": 80, "log_every": 10},
    "pix2pix256": {
        "recipe": "pix2pix",
        "words": ["recipe=pix2pix", "train.epochs=0", "data=aligned", "generator.ngf=64", "discriminator.ndf=64", "train.batch_size=1"],
        "steps": 12, "log_every": 1, "folder": "aligned", "pairs": 6,
    },
    "cyclegan256": {
        "recipe": "cyclegan",
        "words": ["recipe=cyclegan", "train.epochs=0", "data=unaligned", "generator.ngf=64", "generator.n_blocks=9", "discriminator.ndf=64", "train.batch_size=1"],
        "steps": 5, "log_every": 1, "folder": "unaligned", "warmup": 2, "pairs": 3,
    },
}


FAST_PATHS = {
    "baseline": [],
    "channels_last": ["train.channels_last=true"],
    "fused_optimizer": ["train.fused_optimizer=true"],
    "bf16 autocast": ["train.amp=bf16"],
    "compile": ["train.compile=true"],
    "2 loader workers": ["train.num_workers=2"],
}


def _make_folder(kind: str, root: Path) -> None:
    """A few 256×256 images in the aligned (A|B) or unaligned (trainA/trainB) layout."""
    import numpy as np
    from PIL import Image

    noise = np.random.default_rng(0)
    if kind == "aligned":
        (root / "train").mkdir(parents=True)
        for index in range(8):
            Image.fromarray(noise.integers(0, 255, (256, 512, 3), dtype=np.uint8)).save(root / "train" / f"{index}.png")
    else:
        for side in ("trainA", "trainB"):
            (root / side).mkdir(parents=True)
            for index in range(8):
                Image.fromarray(noise.integers(0, 255, (256, 256, 3), dtype=np.uint8)).save(root / side / f"{index}.png")


def _config(case: str, extra: list[str], folder: Path) -> dict[str, Any]:
    from ganzoo.training import resolve_run_config

    spec = CASES[case]
    words = [*spec["words"], *extra, f"train.steps={spec['steps']}", f"train.log_every={spec['log_every']}",
             "train.sample_every=0", "train.checkpoint_every=0", "train.progress=false", "eval.every=0"]
    if "folder" in spec:
        _make_folder(spec["folder"], folder)
        words += [f"data.root={folder}", "data.image_size=256", "data.load_size=286"]
    return resolve_run_config([*words, f"out={folder / 'run'}"])


def _ganzoo(case: str, extra: list[str]) -> dict[str, float]:
    from ganzoo.plugins import PluginHost
    from ganzoo.training import Trainer

    clock = StepClock()
    with tempfile.TemporaryDirectory() as folder:
        host = PluginHost(third_party=False)
        host.add_plugin(clock.plugin(), "clock")
        trainer = Trainer.create(_config(case, extra, Path(folder)), host=host)
        trainer.fit()
        batch = int(trainer.config["train"]["batch_size"])
    return {"images_per_s": clock.rate(CASES[case].get("warmup", WARMUP), batch)}


def _hand_written(case: str) -> dict[str, float]:
    """The same training, as the plain loop a user would write (no registry, no data-flow graph)."""
    import torch
    from plain_loops import PlainLoop

    from ganzoo.training import Trainer

    spec = CASES[case]
    with tempfile.TemporaryDirectory() as folder:
        # ganzoo resolves the configuration and builds the data and the networks; the loop takes them.
        # Everything the loop then does is its own.
        reference = Trainer.create(_config(case, [], Path(folder)))
        config, loader = reference.config, reference.loader
        torch.manual_seed(int(config["train"]["seed"]))
        loop = PlainLoop(spec.get("recipe", case), reference.networks, config)
        for net in reference.networks.values():
            net.train()
        steps, log_every = int(config["train"]["steps"]), int(config["train"]["log_every"])
        batch_size = int(config["train"]["batch_size"])
        stamps: dict[int, float] = {}
        done = 0
        with open(Path(folder) / "log.jsonl", "w") as log:
            while done < steps:
                for batch in loader:
                    losses = loop.step(batch, done)
                    done += 1
                    if done % log_every == 0:
                        log.write(json.dumps({"step": done, "losses": [float(x) for x in losses]}) + "\n")
                        stamps[done] = time.perf_counter()
                    if done == steps:
                        break
                else:
                    loop.end_epoch()
    first = min(s for s in stamps if s >= spec.get("warmup", WARMUP))
    return {"images_per_s": (max(stamps) - first) * batch_size / (stamps[max(stamps)] - stamps[first])}


def _interleaved(case: str, pairs: int = 10) -> dict[str, Any]:
    """Trainer steps and hand-written steps in one process, in alternating blocks of a few steps.

    Both sides start from the same weights, draw batches from the same data loader and read their
    losses back at the same interval. The ratio of each pair of neighbouring blocks is immune to the
    machine's slow drifts, which move whole runs by ±15 % on a shared machine. Only the training
    step is timed here (the run around it, data loading included, is the same code on both sides;
    the whole-run figures come from the separate processes).

    Each block is timed twice: by the wall clock and by the CPU time of the process. The second
    leaves out the time the operating system gave to other processes, the largest source of noise on
    a shared machine (it still counts a slower cache when a neighbour evicts it).
    """
    import torch
    from plain_loops import PlainLoop

    from ganzoo.training import Trainer

    spec = CASES[case]
    with tempfile.TemporaryDirectory() as folder:
        trainer = Trainer.create(_config(case, [], Path(folder)))
        config = trainer.config
        loop = PlainLoop.beside(spec.get("recipe", case), trainer)
        log_every = int(config["train"]["log_every"])
        block = max(1, int(spec["steps"]) // 10)  # about one second of training
        feeds = {"ganzoo": iter(()), "hand-written": iter(())}
        done = {"ganzoo": 0, "hand-written": 0}

        def batch(side: str) -> dict[str, torch.Tensor]:
            try:
                return next(feeds[side])
            except StopIteration:
                feeds[side] = iter(trainer.loader)
                return next(feeds[side])

        def ganzoo_step(items: dict[str, torch.Tensor], index: int) -> Iterable[torch.Tensor]:
            trainer.step = index
            return trainer.train_step(items).values()

        def timed_block(side: str, step: Callable[[dict[str, torch.Tensor], int], Iterable[torch.Tensor]]) -> tuple[float, float]:
            """``block`` steps of one side: (wall-clock seconds, CPU seconds)."""
            started, cpu = time.perf_counter(), time.process_time()
            for _ in range(block):
                losses = step(batch(side), done[side])
                done[side] += 1
                if done[side] % log_every == 0:
                    [float(value) for value in losses]  # the logging step's host synchronisation
            return time.perf_counter() - started, time.process_time() - cpu

        timed_block("ganzoo", ganzoo_step), timed_block("hand-written", loop.step)  # warm-up
        wall, cpu = [], []
        for _ in range(min(pairs, spec.get("pairs", pairs))):
            ours, theirs = timed_block("ganzoo", ganzoo_step), timed_block("hand-written", loop.step)
            wall.append(theirs[0] / ours[0])  # > 1: the trainer's steps are faster
            cpu.append(theirs[1] / ours[1])
    return {"step_ratios": wall, "cpu_step_ratios": cpu}


def _spread(ratios: list[float]) -> str:
    """A list of ratios as its median and range."""
    return f"{median(ratios):.3f} ({min(ratios):.2f}–{max(ratios):.2f})"


def child(case: str, variant: str, *extra: str) -> None:
    if variant == "interleaved":
        print(json.dumps(_interleaved(case, int(extra[0]) if extra else 10)))
        return
    if variant == "hand-written":
        result = _hand_written(case)
    else:
        result = _ganzoo(case, FAST_PATHS.get(variant, []))
    print(json.dumps({**result, "peak_rss_mb": peak_rss_mb()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fast-paths", action="store_true", help="also measure each opt-in fast path on DCGAN")
    parser.add_argument("--steps-only", action="store_true", help="only the interleaved step ratios (no whole runs, no memory)")
    parser.add_argument("--pairs", type=int, default=10, help="pairs of interleaved blocks per case (default 10)")
    parser.add_argument("--child", nargs="+", metavar="ARG", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    print(f"machine: {machine()}\n")
    rows = []
    for case in args.cases:
        if args.steps_only:
            steps = run_child("throughput.py", case, "interleaved", str(args.pairs))
            rows.append([case, _spread(steps["step_ratios"]), _spread(steps["cpu_step_ratios"]), str(len(steps["step_ratios"]))])
            continue
        seen: dict[str, list[dict[str, float]]] = {"ganzoo": [], "hand-written": []}
        for _ in range(args.repeats):
            for variant, results in seen.items():  # alternate, so drifts of the machine hit both alike
                results.append(run_child("throughput.py", case, "baseline" if variant == "ganzoo" else variant))
        ours = median([r["images_per_s"] for r in seen["ganzoo"]])
        theirs = median([r["images_per_s"] for r in seen["hand-written"]])
        # Each repeat's two runs sit side by side in time: their ratio is the least disturbed figure.
        ratios = [a["images_per_s"] / b["images_per_s"] for a, b in zip(seen["ganzoo"], seen["hand-written"], strict=True)]
        mem_ours = median([r["peak_rss_mb"] for r in seen["ganzoo"]])
        mem_theirs = median([r["peak_rss_mb"] for r in seen["hand-written"]])
        steps = run_child("throughput.py", case, "interleaved", str(args.pairs))
        rows.append([
            case, f"{ours:.3g}", f"{theirs:.3g}", _spread(ratios),
            _spread(steps["step_ratios"]), _spread(steps["cpu_step_ratios"]),
            f"{mem_ours:.0f}", f"{mem_theirs:.0f}", f"{mem_ours / mem_theirs:.3f}",
        ])
    if args.steps_only:
        print(table(rows, ["case", "interleaved step ratio, wall clock", "the same by CPU time", "pairs"]))
        return
    print(table(rows, [
        "case", "ganzoo images/s", "hand-written images/s", "whole-run ratio",
        f"interleaved step ratio ({args.pairs} pairs)", "the same by CPU time",
        "ganzoo peak MiB", "hand-written peak MiB", "memory ratio",
    ]))
    if args.fast_paths:
        results: dict[str, list[float]] = {name: [] for name in FAST_PATHS}
        for _ in range(args.repeats):
            for name in FAST_PATHS:
                results[name].append(run_child("throughput.py", "dcgan", name)["images_per_s"])
        base = median(results["baseline"])
        rows = [[name, f"{median(v):.1f}", f"{median(v) / base:.3f}"] for name, v in results.items()]
        print("\nfast paths (dcgan on digits):\n")
        print(table(rows, ["variant", "images/s", "vs baseline"]))


if __name__ == "__main__":
    main()
