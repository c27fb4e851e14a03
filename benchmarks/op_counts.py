"""Count the tensor operators one training step runs: ganzoo's trainer against the hand-written loop.

Timing on a shared machine is noisy; the work a step does is not. For each recipe, both sides take
the same networks and batch (after a few steps, so that image pools and critic ratios are in their
steady state), and a :class:`~torch.utils._python_dispatch.TorchDispatchMode` counts every aten
operator they dispatch, forward and backward. The table lists the totals and every operator whose
count differs.

Usage::

    python benchmarks/op_counts.py [RECIPE ...]
"""

from __future__ import annotations

import argparse
import collections
from typing import Any

from _common import side_by_side, table
from plain_loops import RECIPES
from torch.utils._python_dispatch import TorchDispatchMode

from ganzoo.errors import did_you_mean

#: Steps before counting, and steps counted (WGAN-GP's generator updates every fifth step).
SETTLE, COUNTED = 5, 5


class OperatorCounter(TorchDispatchMode):
    """Counts the aten operators dispatched while it is active."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: collections.Counter[str] = collections.Counter()

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        self.counts[str(func)] += 1
        return func(*args, **(kwargs or {}))


def count(recipe: str) -> tuple[int, int, dict[str, tuple[int, int]]]:
    """Operators of :data:`COUNTED` steps of ``recipe``: the trainer's, the loop's, and the differences."""
    counters = {"ganzoo": OperatorCounter(), "hand-written": OperatorCounter()}
    with side_by_side(recipe, ["train.batch_size=4"], SETTLE + COUNTED) as steps:
        for index in range(SETTLE + COUNTED):
            for side, step in steps.items():
                if index < SETTLE:
                    step(index)
                    continue
                with counters[side]:
                    step(index)
    ours, theirs = counters["ganzoo"].counts, counters["hand-written"].counts
    differences = {op: (ours[op], theirs[op]) for op in sorted(set(ours) | set(theirs)) if ours[op] != theirs[op]}
    return sum(ours.values()), sum(theirs.values()), differences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("recipes", nargs="*", metavar="RECIPE", help=f"default: all of {', '.join(RECIPES)}")
    args = parser.parse_args()
    unknown = [name for name in args.recipes if name not in RECIPES]
    if unknown:
        hint = did_you_mean(unknown[0], RECIPES) if len(unknown) == 1 else ""
        parser.error(f"no hand-written loop for {', '.join(unknown)}{hint}; choose among {', '.join(RECIPES)}")
    rows = []
    for recipe in args.recipes or RECIPES:
        ours, theirs, differences = count(recipe)
        listed = ", ".join(f"{op.removeprefix('aten.')} {a}/{b}" for op, (a, b) in differences.items()) or "none"
        rows.append([recipe, str(ours), str(theirs), listed])
    print(f"aten operators in {COUNTED} training steps (batch 4), ganzoo / hand-written\n")
    print(table(rows, ["recipe", "ganzoo", "hand-written", "operators whose counts differ (ganzoo/hand-written)"]))


if __name__ == "__main__":
    main()
