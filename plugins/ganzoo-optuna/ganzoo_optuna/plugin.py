"""The plugin module named by this package's ``ganzoo`` entry point: it adds ``ganzoo sweep``.

ganzoo imports this module for every command (``ganzoo --help`` too), so it imports neither Optuna
nor torch: the command's handler imports :mod:`ganzoo_optuna.command` when a sweep runs.
"""

from __future__ import annotations

import argparse
from typing import Any

from ganzoo import hookimpl
from ganzoo_optuna.spec import SWEEP_WORDS


@hookimpl
def ganzoo_register_commands(commands: Any) -> None:
    """Add ``ganzoo sweep``."""
    parser = commands.add_parser(
        "sweep",
        help="sweep run settings with Optuna: a grid of lists, a TPE search over ranges, pruning, resumable",
        description=(
            "Train one ganzoo run per trial in OUT/trial-NNNN, each with the fixed words and the trial's values of "
            "the swept settings, and optimise an evaluation measure with Optuna. A list a,b,c is a grid (every "
            "value is tried); LOW..HIGH, log:LOW..HIGH and int:LOW..HIGH are ranges searched by TPE (lists are then "
            "categorical choices). The study lives in OUT/optuna.db: running the same command again resumes it, "
            "and several workers started with the same command share it. Sweep settings: "
            + "; ".join(f"{key}= {text}" for key, text in SWEEP_WORDS.items())
            + ". Every other word is passed to every trial."
        ),
        epilog=(
            "examples: ganzoo sweep recipe=dcgan loss.r1.weight=0.25,0.5,1,2,4 | ganzoo sweep recipe=dcgan "
            "loss.r1.weight=0.25,1,4 optim.generator.lr=log:1e-4..1e-3 trials=8 objective=eval/fid train.steps=2000"
        ),
    )
    parser.add_argument("settings", nargs="*", metavar="KEY=VALUE", help="recipe=NAME, swept settings (KEY=a,b,c or KEY=LOW..HIGH), sweep settings and fixed run words")
    parser.set_defaults(handler=_sweep)


def _sweep(args: argparse.Namespace) -> int:
    from ganzoo_optuna.command import run_sweep

    return run_sweep(list(args.settings))
