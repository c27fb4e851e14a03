"""The plugin module named by this package's ``ganzoo`` entry point.

It implements three of ganzoo's hooks: one registers the parts and the recipe, one adds a command,
one follows training. ganzoo imports this module when it loads plugins (for ``ganzoo --help`` too),
so it imports nothing heavy: the parts are named by ``"module:Class"`` strings, imported only when a
part is built, and the recipe by the path of its YAML file inside this package.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ganzoo import GanzooError, hookimpl

#: The file the lifecycle hook appends to, in the run directory.
LOG_FILE = "example_plugin.log"


@hookimpl
def ganzoo_register_parts(register: Any) -> None:
    """Register this plugin's five parts and its recipe."""
    register("generator", "upsample", "ganzoo_example.parts:UpsampleGenerator", tags=["unconditional"])
    register("discriminator", "minibatch_std", "ganzoo_example.parts:MinibatchStdDiscriminator", tags=["unconditional"])
    register("loss", "smoothed_bce", "ganzoo_example.parts:SmoothedBCELoss", tags=["adversarial"])
    register("schedule", "d_warmup", "ganzoo_example.parts:DiscriminatorWarmup", tags=["update-order"])
    register("schedule", "cosine_lr", "ganzoo_example.parts:CosineDecay", tags=["learning-rate", "per-step"])
    register("recipe", "upsample-digits", "ganzoo_example:recipes/upsample-digits.yaml", tags=["unconditional"])


@hookimpl
def ganzoo_register_commands(commands: Any) -> None:
    """Add ``ganzoo example-log RUN``, which prints what :func:`ganzoo_step_end` wrote for a run."""
    parser = commands.add_parser(
        "example-log",
        help="print the losses the example plugin logged for a run",
        description="Print the last lines of example_plugin.log, which the example plugin writes into every run it sees.",
    )
    parser.add_argument("run", help="a run directory")
    parser.add_argument("--last", type=int, default=5, metavar="N", help="how many logged steps to print (default 5)")
    parser.set_defaults(handler=_print_log)


def _print_log(args: argparse.Namespace) -> int:
    path = Path(args.run) / LOG_FILE
    if not path.is_file():
        # Bad input is a GanzooError: ganzoo prints this one line and exits with status 2.
        raise GanzooError(f"{args.run} holds no {LOG_FILE}: train it with the ganzoo-example plugin installed")
    if args.last < 1:
        raise GanzooError(f"--last {args.last}: give a number of steps >= 1")
    for line in path.read_text(encoding="utf-8").splitlines()[-args.last :]:
        record = json.loads(line)
        losses = "  ".join(f"{key}={value:.4g}" for key, value in record.items() if key.startswith(("D/", "G/")))
        print(f"step {record['step']}: {losses}")
    return 0


@hookimpl
def ganzoo_step_end(run: Any, step: int, losses: dict[str, float]) -> None:
    """Append the logged values to ``example_plugin.log`` in the run directory."""
    with open(run.directory / LOG_FILE, "a", encoding="utf-8") as log:
        log.write(json.dumps({"step": step, **losses}) + "\n")
