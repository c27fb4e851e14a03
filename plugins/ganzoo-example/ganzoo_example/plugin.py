"""The plugin module named by this package's ``ganzoo`` entry point.

It implements two of ganzoo's hooks: one registers the parts, one follows training. ganzoo imports this
module the first time its registry is used; the parts' module (and torch) is imported then too.
"""

from __future__ import annotations

import json
from typing import Any

from ganzoo import hookimpl


@hookimpl
def ganzoo_register_parts(register: Any) -> None:
    """Register this plugin's four parts."""
    from ganzoo_example.parts import (
        DiscriminatorWarmup,
        MinibatchStdDiscriminator,
        SmoothedBCELoss,
        UpsampleGenerator,
    )

    register("generator", "upsample", UpsampleGenerator, tags=["unconditional"])
    register("discriminator", "minibatch_std", MinibatchStdDiscriminator, tags=["unconditional"])
    register("loss", "smoothed_bce", SmoothedBCELoss, tags=["adversarial"])
    register("schedule", "d_warmup", DiscriminatorWarmup, tags=["update-order"])


@hookimpl
def ganzoo_step_end(run: Any, step: int, losses: dict[str, float]) -> None:
    """Append the logged losses to ``example_plugin.log`` in the run directory (rank 0 only)."""
    if not getattr(run, "is_main_process", True):
        return
    with open(run.directory / "example_plugin.log", "a", encoding="utf-8") as log:
        log.write(json.dumps({"step": step, **losses}) + "\n")
