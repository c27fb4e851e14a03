"""Sample quality for a fixed time: each recipe trained by ganzoo, and by a hand-written PyTorch loop.

For every recipe asked for, two runs of the same wall-clock budget on the built-in data:

- **ganzoo**: ``Trainer`` on the recipe (its settings, run until the budget is spent: a SIGTERM after
  the budget ends it as an interrupted run would end, checkpoint included);
- **plain**: the same freshly initialised networks, data and batch size, trained by the recipe's
  textbook loop written out in plain PyTorch (:class:`plain_loops.PlainLoop`, e.g. the non-saturating
  DCGAN loop of the PyTorch DCGAN tutorial).

Both are then measured identically with :func:`ganzoo.metrics.evaluate_run`: the digits-feature FID
of ``--n`` generated images against the training digits, beside the held-out test digits' own FID;
for the image-to-image recipes, the FID of their outputs on the test split against its targets, and
the L1 distance where the targets are paired. The result is printed as a Markdown table with the date
and the machine.

Run on demand (never by the test suite)::

    python benchmarks/quality.py --budget 600 --recipes dcgan,cgan
"""

from __future__ import annotations

import argparse
import math
import platform
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from _common import machine  # the benchmarks' own helpers (run from this folder)
from plain_loops import RECIPES as ALL_RECIPES
from plain_loops import PlainLoop

from ganzoo import hookimpl
from ganzoo.metrics import evaluate_run, plan_evaluation
from ganzoo.plugins import PluginHost
from ganzoo.training import Trainer, resolve_run_config

#: Run settings for both: no periodic outputs to slow either down, and no natural end before the budget.
RUN_WORDS = ["train.steps=100000000", "train.sample_every=0", "train.checkpoint_every=0", "train.log_every=10", "train.progress=false", "eval.every=0"]


# --- ganzoo ---------------------------------------------------------------------------------------


class _Budget:
    """A plugin that sends the run a SIGTERM once ``seconds`` of training have passed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = 0.0

    @hookimpl
    def ganzoo_run_start(self, run: Any) -> None:
        self.started = time.perf_counter()

    @hookimpl
    def ganzoo_step_end(self, run: Any, step: int, losses: dict[str, float]) -> None:
        if time.perf_counter() - self.started >= self.seconds:
            signal.raise_signal(signal.SIGTERM)  # the trainer saves a checkpoint and stops after this step


def _words(recipe: str, out: Path, seed: int) -> list[str]:
    return [f"recipe={recipe}", f"out={out}", f"train.seed={seed}", *RUN_WORDS]


def train_ganzoo(recipe: str, budget: float, folder: Path, seed: int) -> tuple[Trainer, float]:
    """Train ``recipe`` with ganzoo for ``budget`` seconds; returns the run and the seconds it took."""
    budgeted = _Budget(budget)
    host = PluginHost(third_party=False)
    host.add_plugin(budgeted, "budget")
    trainer = Trainer.create(resolve_run_config(_words(recipe, folder / f"ganzoo-{recipe}", seed)), host=host)
    trainer.fit()
    return trainer, time.perf_counter() - budgeted.started


# --- plain PyTorch --------------------------------------------------------------------------------


def train_plain(recipe: str, budget: float, folder: Path, seed: int) -> tuple[Trainer, int, float]:
    """Train the recipe's networks with its hand-written loop for ``budget`` seconds.

    A ganzoo run of the same configuration supplies the freshly initialised networks and the data
    loader, and afterwards the measurement; the training itself is :class:`plain_loops.PlainLoop`.

    Returns:
        The run holding the trained networks, the steps taken and the seconds spent.
    """
    twin = Trainer.create(resolve_run_config(_words(recipe, folder / f"plain-{recipe}", seed)))
    torch.manual_seed(seed)
    loop = PlainLoop(recipe, twin.networks, twin.config, twin.device)
    for net in twin.networks.values():
        net.train()
    steps, started = 0, time.perf_counter()
    while time.perf_counter() - started < budget:
        for batch in twin.loader:
            loop.step(batch, steps)
            steps += 1
            if time.perf_counter() - started >= budget:
                break
        else:
            loop.end_epoch()
    return twin, steps, time.perf_counter() - started


# --- the comparison -------------------------------------------------------------------------------


def measure(trainer: Trainer, n: int) -> dict[str, float]:
    """The figures compared: FID (and the held-out baseline), or FID and L1 for translation."""
    paired = plan_evaluation(trainer.built).paired
    return evaluate_run(trainer.built, metrics=["fid", "l1"] if paired else ["fid"], n=n, features="digits")


def _cell(values: dict[str, float] | None, key: str) -> str:
    if values is None or key not in values or not math.isfinite(values[key]):
        return "—"
    return f"{values[key]:.3g}"


def compare(recipes: list[str], budget: float, n: int, seed: int) -> str:
    """Run the comparison and return it as Markdown."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="ganzoo-quality-") as scratch:
        folder = Path(scratch)
        for recipe in recipes:
            print(f"{recipe}: ganzoo for {budget:.0f} s …", flush=True)
            trainer, seconds = train_ganzoo(recipe, budget, folder, seed)
            ours = measure(trainer, n)
            print(f"{recipe}: plain PyTorch for {budget:.0f} s …", flush=True)
            twin, plain_steps, plain_seconds = train_plain(recipe, budget, folder, seed)
            plain_values = measure(twin, n)
            plain = f"{plain_steps:,} ({plain_steps / plain_seconds:.1f}/s)"
            note = f"L1 {_cell(ours, 'l1')} / {_cell(plain_values, 'l1')}" if "l1" in ours else _cell(ours, "baseline/fid")
            if recipe == "cyclegan":
                note = "— (B outputs of the A test digits against the B test digits)"
            rows.append(
                f"| {recipe} | {trainer.step:,} ({trainer.step / seconds:.1f}/s) | {_cell(ours, 'fid')} | {plain} | "
                f"{_cell(plain_values, 'fid')} | {note} |"
            )
    header = [
        (
            f"Measured {machine()}, {torch.get_num_threads()} torch thread(s) ({platform.platform()}); "
            f"{budget:.0f} s of training each, seed {seed}; digits-feature FID of {n} generated images against "
            "the 4,500 training digits; image-to-image recipes: their outputs on the test split against the targets. "
            "Lower is better; compare figures within this table only."
        ),
        "",
        "| recipe | ganzoo steps | ganzoo FID | plain steps | plain FID | held-out test digits' FID (image-to-image: L1 ganzoo / plain) |",
        "|---|---|---|---|---|---|",
    ]
    return "\n".join(header + rows)


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, compare, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=float, default=600.0, help="seconds of training for each run (default 600)")
    parser.add_argument("--recipes", default=",".join(ALL_RECIPES), help="comma-separated recipes (default: all)")
    parser.add_argument("--n", type=int, default=1000, help="generated images per measurement (default 1000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    recipes = [r.strip() for r in args.recipes.split(",") if r.strip()]
    unknown = sorted(set(recipes) - set(ALL_RECIPES))
    if unknown:
        parser.error(f"unknown recipes {', '.join(unknown)} (choose among {', '.join(ALL_RECIPES)})")
    print(compare(recipes, args.budget, args.n, args.seed))


if __name__ == "__main__":
    main()
