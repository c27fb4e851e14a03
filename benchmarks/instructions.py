"""Count the machine instructions of training steps: ganzoo's trainer against the hand-written loop.

Timings on a shared machine move by ±10 % from one second to the next, too much to resolve a 2 %
difference between two ways of running the same step. The number of instructions the processor
executes does not move that way. This script runs one process under valgrind's callgrind, which
counts every instruction, and switches the counting on only around the training steps. Per recipe,
both sides take the same networks and the same batches at the same step numbers (after a few
settling steps). They are counted in the order ganzoo, hand-written, hand-written, ganzoo, so that
whatever changes over the run (the image pools filling, the garbage collector's cycles) falls on
both sides alike, and the two counts of each side show how far a repeat moves. The counts include
everything a step does: the Python of the trainer and of the loop, PyTorch's dispatcher and
autograd, and the kernels themselves.

Instructions are not time: they leave out waiting on memory. Peak memory is compared separately by
``throughput.py``.

Usage::

    python benchmarks/instructions.py [RECIPE ...]              # batch 4, networks at width 4
    python benchmarks/instructions.py --full-size dcgan        # the recipe's own sizes, far slower

Needs valgrind (``apt install valgrind`` on Debian and Ubuntu) and runs one torch thread. Valgrind
runs the program a few hundred times slower: importing torch alone takes about three minutes, and
all seven recipes, at the narrowed sizes below, about half an hour.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import machine, side_by_side, table
from plain_loops import RECIPES

from ganzoo.errors import did_you_mean

#: Steps counted per measurement: a whole cycle of the recipe's schedule (dcgan's lazy R1 runs every
#: fourth step, wgan-gp's generator every fifth), and at least two.
COUNTED = {"dcgan": 4, "wgan-gp": 5}
#: Every recipe at batch 4, its networks at width 4 (the MLPs of ``vanilla`` have fixed widths).
#: Under valgrind a step at the recipes' own sizes takes minutes. Narrowed, the kernels' share of a
#: step shrinks while the work around them (the Python of both sides, the dispatcher, autograd, the
#: optimisers' bookkeeping) stays the same, so a narrowed count shows any extra work of the
#: trainer's *larger* than it is at the recipes' own sizes.
NARROW = {
    recipe: ["train.batch_size=4", *([] if recipe == "vanilla" else ["generator.ngf=4", "discriminator.ndf=4"])]
    for recipe in RECIPES
}
#: Steps on both sides before counting starts: first calls, lazy initialisation, and the interpreter
#: specialising hot code all add to the first few steps (two settling steps left vanilla's first
#: count 8 % above its last).
SETTLE = 6
#: The order of the counted measurements.
ORDER = ("ganzoo", "hand-written", "hand-written", "ganzoo")


def _count(recipe: str, full_size: bool) -> list[tuple[str, str, int]]:
    """Under callgrind: count both sides of one recipe, one dump file per measurement (see :data:`ORDER`).

    Returns:
        ``(recipe, side, steps counted)`` for each dump, in the order they were written.
    """
    import torch

    counted = COUNTED.get(recipe, 2)
    words = ["eval.every=0", *([] if full_size else NARROW.get(recipe, []))]
    with side_by_side(recipe, words, SETTLE + counted) as steps:
        for index in range(SETTLE):
            for step in steps.values():
                step(index)
        for side in ORDER:
            torch._C._valgrind_toggle()  # counting on
            for index in range(SETTLE, SETTLE + counted):
                steps[side](index)
            torch._C._valgrind_toggle_and_dump_stats()  # counting off, and one dump file written
    return [(recipe, side, counted) for side in ORDER]


def child(size: str, *recipes: str) -> None:
    """Count every recipe in this one process (importing torch under valgrind takes minutes)."""
    import torch

    torch.set_num_threads(1)
    print(json.dumps([label for recipe in recipes for label in _count(recipe, size == "full")]))


def _total(dump: Path) -> int:
    """The instruction count of one callgrind dump."""
    match = re.search(r"^totals:\s+(\d+)", dump.read_text(), re.MULTILINE)
    if not match:
        raise RuntimeError(f"no totals line in {dump}")
    return int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("recipes", nargs="*", metavar="RECIPE", help=f"default: all of {', '.join(RECIPES)}")
    parser.add_argument("--full-size", action="store_true", help="count at the recipes' own widths and batches (far slower: over 20 minutes before dcgan's first count)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    unknown = [name for name in args.recipes if name not in RECIPES]
    if unknown:
        hint = did_you_mean(unknown[0], RECIPES) if len(unknown) == 1 else ""
        parser.error(f"no hand-written loop for {', '.join(unknown)}{hint}; choose among {', '.join(RECIPES)}")
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        sys.exit("instructions.py needs valgrind on PATH (Debian, Ubuntu: apt install valgrind; Fedora: dnf install valgrind)")
    import torch

    if not torch._C._valgrind_supported_platform():
        sys.exit("this build of torch cannot switch valgrind's counting on and off (torch._C._valgrind_supported_platform() is False)")
    recipes = args.recipes or list(RECIPES)
    print(f"counting {', '.join(recipes)} under valgrind: expect minutes per recipe, after some three to import torch", file=sys.stderr)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "callgrind.out"
        result = subprocess.run(  # noqa: PLW1510  (the return code is checked below)
            [valgrind, "--tool=callgrind", "--collect-atstart=no", f"--callgrind-out-file={out}",
             sys.executable, str(Path(__file__).resolve()), "--child", "full" if args.full_size else "narrow", *recipes],
            capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"},
        )
        if result.returncode != 0:
            sys.exit(f"the counted run failed:\n{result.stderr[-4000:]}")
        labels = json.loads(result.stdout.strip().splitlines()[-1])
        counts: dict[str, dict[str, list[float]]] = {}
        for number, (recipe, side, steps) in enumerate(labels, start=1):
            counts.setdefault(recipe, {}).setdefault(side, []).append(_total(Path(f"{out}.{number}")) / steps)
    rows = []
    for recipe, sides in counts.items():
        ours, theirs = sides["ganzoo"], sides["hand-written"]
        mean_ours, mean_theirs = sum(ours) / len(ours), sum(theirs) / len(theirs)
        repeat = max(abs(ours[0] - ours[1]) / mean_ours, abs(theirs[0] - theirs[1]) / mean_theirs)
        rows.append([
            recipe, f"{mean_ours / 1e6:,.1f}", f"{mean_theirs / 1e6:,.1f}",
            f"{(mean_ours - mean_theirs) / mean_theirs:+.2%}", f"{mean_theirs / mean_ours:.3f}", f"{repeat:.2%}",
        ])
    print(f"machine: {machine()}\n")
    size = "the recipes' own sizes" if args.full_size else "batch 4, networks at width 4"
    print(f"instructions per training step, one torch thread, {size}, counted by valgrind's callgrind\n")
    print(table(rows, [
        "recipe", "ganzoo, millions per step", "hand-written, millions per step", "ganzoo's extra",
        "hand-written ÷ ganzoo", "largest change between a side's two counts",
    ]))


if __name__ == "__main__":
    main()
