"""Modern against classic: the ``r3gan`` and ``sngan`` recipes against ``dcgan`` in the same CPU budget.

Each recipe is given the same minutes of training (``--minutes``, 10 by default) on this machine. Its
steps are fitted to that budget in two phases, so that every run follows its own schedule to the end
rather than being cut off half-way through a learning-rate decay:

1. **Calibration.** Each recipe trains ``--calibrate`` steps (after a few warm-up steps) with the
   machine's torch threads, and its steps per second are read. Run this phase on an otherwise idle
   machine: the step counts it prints are the budget.
2. **Training.** Each recipe trains for ``minutes × 60 × steps/s`` steps through ``ganzoo train``,
   its schedules scaled to that length (the ``dcgan`` decay in epochs, the ``r3gan`` cosine in steps;
   ``sngan`` has constant rates). The step counts fix the work, so this phase gives the same figures
   however busy the machine is; ``--steps dcgan=4800,…`` reuses a calibration.

Every run is then measured the same way as ``data_efficiency.py``: ``--n`` generated digits against all
4,500 training digits (digits-feature FID, ``classes`` and the smallest class's share). Run on demand
(never by the test suite), from this folder::

    python modern.py                                  # calibrate, then train each recipe in turn
    python modern.py --calibrate-only                 # the step counts of the budget
    python modern.py --steps dcgan=4800,r3gan=1000,sngan=1700 --jobs 3
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _common import machine, measure_digits  # the benchmarks' own helpers (run from this folder)

RECIPES = ("dcgan", "r3gan", "sngan")
#: The dcgan recipe's decay: constant for 32 of its 60 epochs, then linear to 0 (70 steps an epoch).
DCGAN_DECAY_START, DCGAN_STEPS_PER_EPOCH = 32 / 60, 4500 // 64
QUIET = ["train.progress=false", "train.sample_every=0", "train.checkpoint_every=0", "eval.every=0"]


def schedule_words(recipe: str, steps: int) -> list[str]:
    """The words that stretch or shrink ``recipe``'s schedule to ``steps`` steps."""
    if recipe == "dcgan":
        epochs = steps / DCGAN_STEPS_PER_EPOCH
        start = max(1, round(epochs * DCGAN_DECAY_START))
        return [f"schedule.decay.n_epochs={start}", f"schedule.decay.n_epochs_decay={max(1, round(epochs) - start)}"]
    if recipe == "r3gan":
        return [f"schedule.decay.steps={steps}"]
    return []


def calibrate(recipe: str, steps: int, warmup: int = 5) -> float:
    """Steps per second of ``recipe``'s training (no outputs), timed after ``warmup`` steps."""
    from ganzoo.plugins import PluginHost
    from ganzoo.training import Trainer, resolve_run_config

    with tempfile.TemporaryDirectory() as folder:
        words = [f"recipe={recipe}", f"out={Path(folder) / 'run'}", f"train.steps={warmup + steps}", *QUIET]
        trainer = Trainer.create(resolve_run_config(words), host=PluginHost(third_party=False))
        for net in trainer.networks.values():
            net.train()
        batches = iter(trainer.loader)
        for number in range(warmup + steps):
            if number == warmup:
                started = time.perf_counter()
            try:
                batch = next(batches)
            except StopIteration:
                batches = iter(trainer.loader)
                batch = next(batches)
            trainer.train_step(batch)
            trainer.step += 1
        return steps / (time.perf_counter() - started)


def train_and_measure(recipe: str, steps: int, n: int, folder: Path, threads: int) -> dict[str, float]:
    """Train ``recipe`` for ``steps`` steps with its schedule fitted, then measure ``n`` samples."""
    out = folder / recipe
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    words = [f"recipe={recipe}", f"train.steps={steps}", f"out={out}", *QUIET, *schedule_words(recipe, steps)]
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "ganzoo", "-q", "train", *words], capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise SystemExit(f"training {recipe} failed: {result.stderr.strip()}")
    seconds = time.perf_counter() - started
    samples = folder / f"{recipe}.npz"
    result = subprocess.run(
        [sys.executable, "-m", "ganzoo", "-q", "sample", f"checkpoint={out}", f"n={n}", f"out={samples}"],
        capture_output=True, text=True, env=env, check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"sampling {recipe} failed: {result.stderr.strip()}")
    return {**measure_digits(str(samples)), "seconds": seconds}



def _parse_steps(text: str) -> dict[str, int]:
    steps = {}
    for item in filter(None, text.split(",")):
        recipe, _, count = item.partition("=")
        if recipe not in RECIPES or not count.isdigit():
            raise SystemExit(f"--steps: '{item}' is not RECIPE=STEPS with RECIPE one of {', '.join(RECIPES)}")
        steps[recipe] = int(count)
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="training minutes of each recipe (default 10)")
    parser.add_argument("--recipes", default=",".join(RECIPES), help="recipes, comma-separated")
    parser.add_argument("--calibrate", type=int, default=40, help="steps timed per recipe in the calibration")
    parser.add_argument("--calibrate-only", action="store_true", help="print the step counts of the budget and stop")
    parser.add_argument("--steps", default="", help="RECIPE=STEPS,… from an earlier calibration (skips it)")
    parser.add_argument("--n", type=int, default=1000, help="generated images measured per run")
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time (each on cores / jobs torch threads)")
    args = parser.parse_args()
    recipes = args.recipes.split(",")
    steps = _parse_steps(args.steps)
    rates: dict[str, float] = {}
    for recipe in recipes:
        if recipe not in steps:
            rates[recipe] = calibrate(recipe, args.calibrate)
            steps[recipe] = int(args.minutes * 60 * rates[recipe])
            print(f"{recipe}: {rates[recipe]:.2f} steps/s, {steps[recipe]:,} steps in {args.minutes:g} minutes", flush=True)
    if args.calibrate_only:
        print("--steps " + ",".join(f"{recipe}={steps[recipe]}" for recipe in recipes))
        return
    threads = max(1, (os.cpu_count() or 1) // args.jobs)
    with tempfile.TemporaryDirectory() as folder, ThreadPoolExecutor(args.jobs) as pool:
        results = dict(zip(recipes, pool.map(lambda r: train_and_measure(r, steps[r], args.n, Path(folder), threads), recipes)))
    print(f"\n{args.minutes:g} minutes of training each; {args.n} generated digits against all 4,500 training digits; {machine()}\n")
    print("| recipe | steps | steps/s (calibration) | digits FID | classes | smallest class | minutes (this run) |")
    print("|---|---|---|---|---|---|---|")
    for recipe in recipes:
        values = results[recipe]
        rate = f"{rates[recipe]:.2f}" if recipe in rates else "given"
        print(
            f"| {recipe} | {steps[recipe]:,} | {rate} | {values['fid']:.2f} | {values['classes']:.0f} | "
            f"{values['classes_balance']:.2f} | {values['seconds'] / 60:.1f} |"
        )


if __name__ == "__main__":
    main()
