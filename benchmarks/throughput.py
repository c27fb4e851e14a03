"""ganzoo's trainer against a plain hand-written PyTorch loop, and the trainer's fast paths.

Both sides train the identical networks (built by one ganzoo run from the resolved configuration and
seed) on the identical batches; the hand-written side is :class:`plain_loops.PlainLoop`, the recipe's
step written out in plain PyTorch with its own optimisers and losses. Both log their losses (one host
synchronisation) at the same interval. Each measurement runs in its own child process, so that peak
memory can be read; the two sides alternate and repeat within one run of this script, and the table
reports medians and the median of the per-repeat ratios. A second measurement times training steps
of both sides in alternating blocks within one process (:func:`_alternate`).

``--fast-paths`` measures each opt-in fast path of the trainer on ``dcgan`` the same two ways against
the trainer's defaults: whole runs, and steps interleaved with a default trainer built from the same
seed.

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


#: The trainer's opt-in fast paths, measured on the ``dcgan`` case against its defaults ("baseline").
FAST_PATHS = {
    "baseline": [],
    "channels_last": ["train.channels_last=true"],
    "fused_optimizer": ["train.fused_optimizer=true"],
    "bf16 autocast": ["train.amp=bf16"],
    "compile": ["train.compile=true"],
    "2 loader workers": ["train.num_workers=2"],
}
#: Fast paths that change only the data loader, not the step: they have no interleaved step ratio.
LOADER_ONLY = {"2 loader workers"}
#: Whole-run steps of a fast path, where the case's own would take minutes (bf16 on a CPU without
#: bf16 instructions runs some 18 times slower); a rate needs only enough steps past the warm-up.
FAST_PATH_STEPS = {"bf16 autocast": 30}


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


def _config(case: str, extra: list[str], folder: Path, steps: int | None = None) -> dict[str, Any]:
    from ganzoo.training import resolve_run_config

    spec = CASES[case]
    words = [*spec["words"], *extra, f"train.steps={steps or spec['steps']}", f"train.log_every={spec['log_every']}",
             "train.sample_every=0", "train.checkpoint_every=0", "train.progress=false", "eval.every=0"]
    if "folder" in spec:
        _make_folder(spec["folder"], folder)
        words += [f"data.root={folder}", "data.image_size=256", "data.load_size=286"]
    return resolve_run_config([*words, f"out={folder / 'run'}"])


def _ganzoo(case: str, extra: list[str], steps: int | None = None) -> dict[str, float]:
    from ganzoo.plugins import PluginHost
    from ganzoo.training import Trainer

    clock = StepClock()
    with tempfile.TemporaryDirectory() as folder:
        host = PluginHost(third_party=False)
        host.add_plugin(clock.plugin(), "clock")
        trainer = Trainer.create(_config(case, extra, Path(folder), steps), host=host)
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


#: A training step as the interleaved timer calls it: (batch, step index) to the step's loss tensors.
Step = Callable[[dict[str, Any], int], Iterable[Any]]


def _alternate(sides: dict[str, Step], loader: Iterable[dict[str, Any]], block: int, log_every: int, pairs: int) -> dict[str, list[float]]:
    """Time two training steps in alternating blocks of ``block`` steps within one process.

    Both sides draw batches from the same data loader and read their losses back at the same
    interval. The ratio of each pair of neighbouring blocks is immune to the machine's slow drifts,
    which move whole runs by ±15 % on a shared machine, and the side that goes first changes from
    one pair to the next, so that neither always follows the other. Only the step is timed: data
    loading is the same code on both sides.

    Each block is timed twice: by the wall clock and by the CPU time of the process. The second
    leaves out the time the operating system gave to other processes (it still counts a slower cache
    when a neighbour evicts it).

    Args:
        sides: The two steps, the measured one first and the reference second.
        loader: Where both sides' batches come from.
        block: Steps per block.
        log_every: Steps between the losses' host synchronisations.
        pairs: Pairs of blocks timed, after one pair of warm-up.

    Returns:
        ``step_ratios`` and ``cpu_step_ratios``: per pair, the reference's time over the measured
        side's (above 1, the measured side is faster).
    """
    import torch

    feeds = {side: iter(()) for side in sides}
    done = {side: 0 for side in sides}

    def batch(side: str) -> dict[str, Any]:
        try:
            return next(feeds[side])
        except StopIteration:
            feeds[side] = iter(loader)
            return next(feeds[side])

    def timed_block(side: str) -> tuple[float, float]:
        """``block`` steps of one side: (wall-clock seconds, CPU seconds)."""
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(block):
            losses = sides[side](batch(side), done[side])
            done[side] += 1
            if done[side] % log_every == 0:
                [float(value) for value in losses]  # the logging step's host synchronisation
        if torch.cuda.is_available():  # a GPU runs behind the host: the block ends when its kernels do
            torch.cuda.synchronize()
        return time.perf_counter() - started, time.process_time() - cpu

    measured, reference = sides
    for side in sides:  # warm-up: first calls, and compilation where a side compiles
        timed_block(side)
    wall, cpu = [], []
    for pair in range(pairs):
        order = (measured, reference) if pair % 2 == 0 else (reference, measured)
        times = {side: timed_block(side) for side in order}
        wall.append(times[reference][0] / times[measured][0])
        cpu.append(times[reference][1] / times[measured][1])
    return {"step_ratios": wall, "cpu_step_ratios": cpu}


def _trainer_step(trainer: Any) -> Step:
    def step(batch: dict[str, Any], index: int) -> Iterable[Any]:
        trainer.step = index
        return trainer.train_step(batch).values()

    return step


def _interleaved(case: str, pairs: int = 10) -> dict[str, list[float]]:
    """Trainer steps against hand-written steps (:func:`_alternate`), both from the same weights."""
    from plain_loops import PlainLoop

    from ganzoo.training import Trainer

    spec = CASES[case]
    with tempfile.TemporaryDirectory() as folder:
        trainer = Trainer.create(_config(case, [], Path(folder)))
        loop = PlainLoop.beside(spec.get("recipe", case), trainer)
        return _alternate(
            {"ganzoo": _trainer_step(trainer), "hand-written": loop.step}, trainer.loader,
            block=max(1, int(spec["steps"]) // 10),  # about one second of training
            log_every=int(trainer.config["train"]["log_every"]), pairs=min(pairs, spec.get("pairs", pairs)),
        )


def _interleaved_fast_path(variant: str, pairs: int = 10) -> dict[str, list[float]]:
    """A fast path's trainer steps against the default trainer's (:func:`_alternate`), on ``dcgan``.

    Both trainers are built from the same seed, so they start from the same weights.
    """
    from ganzoo.training import Trainer

    spec = CASES["dcgan"]
    with tempfile.TemporaryDirectory() as folder:
        fast = Trainer.create(_config("dcgan", FAST_PATHS[variant], Path(folder) / "fast"))
        baseline = Trainer.create(_config("dcgan", [], Path(folder) / "baseline"))
        # A tenth of the variant's whole-run steps: shorter blocks for the slow variants given fewer.
        block = max(1, FAST_PATH_STEPS.get(variant, int(spec["steps"])) // 10)
        return _alternate(
            {variant: _trainer_step(fast), "baseline": _trainer_step(baseline)}, baseline.loader,
            block=block, log_every=int(spec["log_every"]), pairs=pairs,
        )


def _spread(ratios: list[float]) -> str:
    """A list of ratios as its median and range."""
    return f"{median(ratios):.3f} ({min(ratios):.2f}–{max(ratios):.2f})"


def child(case: str, variant: str, *extra: str) -> None:
    if variant == "interleaved":
        print(json.dumps(_interleaved(case, int(extra[0]) if extra else 10)))
        return
    if variant == "interleaved-fast-path":
        print(json.dumps(_interleaved_fast_path(extra[0], int(extra[1]))))
        return
    if variant == "hand-written":
        result = _hand_written(case)
    else:
        result = _ganzoo(case, FAST_PATHS.get(variant, []), FAST_PATH_STEPS.get(variant))
    print(json.dumps({**result, "peak_rss_mb": peak_rss_mb()}))


def _fast_paths(repeats: int, pairs: int) -> str:
    """Each fast path against the defaults: whole runs (alternating, repeated) and interleaved steps."""
    runs: dict[str, list[float]] = {name: [] for name in FAST_PATHS}
    for _ in range(repeats):
        for name in FAST_PATHS:
            runs[name].append(run_child("throughput.py", "dcgan", name)["images_per_s"])
    rows = []
    for name, rates in runs.items():
        # Each repeat's runs sit side by side in time: a variant's ratio is to its own repeat's baseline.
        ratios = [rate / base for rate, base in zip(rates, runs["baseline"], strict=True)]
        if name == "baseline" or name in LOADER_ONLY:
            steps = "—"
        else:
            steps = _spread(run_child("throughput.py", "dcgan", "interleaved-fast-path", name, str(pairs))["step_ratios"])
        rows.append([name, f"{median(rates):.1f}", "1" if name == "baseline" else _spread(ratios), steps])
    return table(rows, ["variant", "images/s", "whole-run ratio to the baseline", f"interleaved step ratio ({pairs} pairs)"])


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
        print("\nfast paths (dcgan on digits):\n")
        print(_fast_paths(args.repeats, args.pairs))

if __name__ == "__main__":
    main()
