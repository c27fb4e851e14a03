"""Train recipes and copy each run's last sample grid, loss curves and figures into the documentation.

Run from the repository root before a release; the recipe pages show what it writes. With no
``--budget``, each recipe is trained with its own defaults to its full length, so that its page shows
what the recipe reaches::

    python docs/make_recipe_samples.py                        # every shipped recipe, full length
    python docs/make_recipe_samples.py dcgan pix2pix          # some of them
    python docs/make_recipe_samples.py --budget train.steps=300 cgan   # a short run, marked as such
    python docs/make_recipe_samples.py --from-run runs/dcgan --seconds 503  # a run made elsewhere

Each recipe is trained through the ``ganzoo train`` command, changed only by the budget words, in a
temporary run directory. The last grid of ``samples/`` is copied to ``docs/_static/recipes/NAME.png``,
``loss_curves.png`` to ``NAME-losses.png``, and the trained generator is measured with ``ganzoo
eval``'s defaults for the recipe (the digits-feature FID of 1,000 samples against the training
digits; for paired image-to-image recipes also the L1 distance on the test split). The command, the
steps and images, the figures and the wall-clock time are recorded in
``docs/_static/recipes/samples.json`` (entries of recipes not trained this time are kept; several
copies of the script may run at once on different recipes).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import torch
import yaml

import ganzoo
from ganzoo.training import load_recipe, recipe_names

DOCS = Path(__file__).resolve().parent
TARGET = DOCS / "_static" / "recipes"
RECORD = TARGET / "samples.json"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--budget",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a train.* setting that shortens the run, e.g. train.steps=300 (repeatable; default: the full run)",
    )
    parser.add_argument("recipes", nargs="*", metavar="RECIPE", help="recipes to train (default: all)")
    parser.add_argument(
        "--from-run", type=Path, metavar="RUN_DIR",
        help="record a finished run of `ganzoo train recipe=NAME` (plus the --budget words) instead of training",
    )
    parser.add_argument("--seconds", type=float, default=0.0, help="with --from-run: the wall-clock time the run took")
    parser.add_argument("--threads", type=int, default=0, help="with --from-run: the torch threads it trained with")
    args = parser.parse_args(argv)
    for word in args.budget:
        if not word.startswith("train.") or "=" not in word:
            parser.error(f"--budget {word}: give a train.* setting such as train.steps=300")
    unknown = sorted(set(args.recipes) - set(recipe_names()))
    if unknown:
        parser.error(f"unknown recipe(s) {', '.join(unknown)}; choose from {', '.join(recipe_names())}")
    return args


def train(recipe: str, budget: list[str], run_directory: Path) -> dict[str, object]:
    """Train ``recipe`` with ``budget`` into ``run_directory`` and describe the run."""
    words = [f"recipe={recipe}", *budget]
    command = [sys.executable, "-m", "ganzoo", "train", *words, f"out={run_directory}"]
    started = time.perf_counter()
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if finished.returncode != 0:
        sys.stderr.write(finished.stdout + finished.stderr)
        raise SystemExit(f"training recipe '{recipe}' failed with status {finished.returncode}")
    return describe(recipe, budget, run_directory, seconds, torch.get_num_threads())


def describe(recipe: str, budget: list[str], run_directory: Path, seconds: float, threads: int) -> dict[str, object]:
    """Copy a finished run's last grid and loss curves into the docs, measure it, and describe it."""
    grids = sorted((run_directory / "samples").glob("step_*.png"))
    if not grids:
        raise SystemExit(f"recipe '{recipe}' wrote no sample grid into {run_directory / 'samples'}")
    config = yaml.safe_load((run_directory / "config.yaml").read_text(encoding="utf-8"))
    steps = int(grids[-1].stem.split("_")[1])
    batch_size = int(config["train"]["batch_size"])
    shutil.copyfile(grids[-1], TARGET / f"{recipe}.png")
    shutil.copyfile(run_directory / "loss_curves.png", TARGET / f"{recipe}-losses.png")
    from ganzoo.metrics import evaluate_checkpoint

    values, _, _, _ = evaluate_checkpoint(str(run_directory), metrics=None, n=1000, features="digits", device="cpu", seed=0)
    return {
        "command": " ".join(["ganzoo train", f"recipe={recipe}", *budget]),
        "full": not budget,
        "figures": {key: round(float(value), 4) for key, value in values.items()},
        "steps": steps,
        "batch_size": batch_size,
        "images": steps * batch_size,
        "seconds": round(seconds, 1),
        "device": f"CPU ({threads} thread{'s' if threads != 1 else ''}, {platform.machine()})",
        "ganzoo": ganzoo.__version__,
        "torch": torch.__version__.split("+")[0],
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
    }


def _record(recipe: str, entry: dict[str, object]) -> None:
    # Read and written after every recipe, so that an interrupted batch keeps what it finished
    # and copies of this script training other recipes meanwhile keep theirs.
    record = json.loads(RECORD.read_text(encoding="utf-8")) if RECORD.exists() else {}
    record[recipe] = entry
    RECORD.write_text(json.dumps(dict(sorted(record.items())), indent=2) + "\n", encoding="utf-8")
    print(f"{recipe}: {entry['steps']} steps in {entry['seconds']} s -> {TARGET / (recipe + '.png')}", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    TARGET.mkdir(parents=True, exist_ok=True)
    if args.from_run is not None:
        config = yaml.safe_load((args.from_run / "config.yaml").read_text(encoding="utf-8"))
        recipe = str(config["recipe"])
        _record(recipe, describe(recipe, args.budget, args.from_run, args.seconds, args.threads or torch.get_num_threads()))
        return 0
    for recipe in args.recipes or recipe_names():
        load_recipe(recipe)  # fail early on a recipe that does not load
        with tempfile.TemporaryDirectory(prefix=f"ganzoo-{recipe}-") as folder:
            print(f"{recipe}: ganzoo train recipe={recipe} {' '.join(args.budget)}", flush=True)
            entry = train(recipe, args.budget, Path(folder) / "run")
        _record(recipe, entry)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
