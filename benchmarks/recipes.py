"""Steps per second and images per second of every recipe on the built-in data, with its defaults.

Usage::

    python benchmarks/recipes.py [--steps 40] [RECIPE ...]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from _common import StepClock, machine, run_child, table

WARMUP = 3


def child(recipe: str, steps: int) -> None:
    from ganzoo.plugins import PluginHost
    from ganzoo.training import Trainer, resolve_run_config

    clock = StepClock()
    with tempfile.TemporaryDirectory() as folder:
        host = PluginHost(third_party=False)
        host.add_plugin(clock.plugin(), "clock")
        config = resolve_run_config([
            f"recipe={recipe}", f"train.steps={steps}", "train.epochs=0", "train.log_every=1", "train.sample_every=0",
            "train.checkpoint_every=0", "train.progress=false", "eval.every=0", f"out={Path(folder) / 'run'}",
        ])
        trainer = Trainer.create(config, host=host)
        batch = int(trainer.config["train"]["batch_size"])
        trainer.fit()
    rate = clock.rate(WARMUP)
    print(json.dumps({"steps_per_s": rate, "images_per_s": rate * batch, "batch": batch}))


def main() -> None:
    from ganzoo.training import recipe_names

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("recipes", nargs="*", default=recipe_names())
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--child", nargs=2, metavar=("RECIPE", "STEPS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    rows = []
    for recipe in args.recipes:
        result = run_child("recipes.py", recipe, str(args.steps))
        rows.append([recipe, str(result["batch"]), f"{result['steps_per_s']:.2f}", f"{result['images_per_s']:.0f}"])
    print(f"machine: {machine()}\n")
    print(table(rows, ["recipe", "batch", "steps/s", "images/s"]))


if __name__ == "__main__":
    main()
