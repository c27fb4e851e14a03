"""The sample grid a run shows while it trains: fixed items, fixed noise, the ``samples.show`` tensors."""

from __future__ import annotations

import torch

from ganzoo import vocabulary as names
from ganzoo.training.build import BuiltRun
from ganzoo.training.graph import StepTensors
from ganzoo.training.outputs import image_grid


def preview_grid(run: BuiltRun) -> torch.Tensor:
    """A grid of the run's ``samples.show`` tensors for a fixed batch and fixed noise.

    The items are spread evenly over the data set, so that data sets ordered by class show every
    class; a class-conditional generator gets the classes in turn, one class per column.

    Returns:
        A ``(C, H, W)`` image in [0, 1].
    """
    settings = run.config["samples"]
    dataset = run.dataset
    count = min(int(settings["count"]), len(dataset))
    items = [dataset[i * len(dataset) // count] for i in range(count)]
    batch = {key: torch.stack([item[key] for item in items]).to(run.device) for key in items[0]}
    if names.LABEL in batch and run.context.num_classes:
        batch[names.LABEL] = torch.arange(count, device=run.device) % run.context.num_classes
    fixed = torch.Generator(device=run.device).manual_seed(int(settings["seed"]))
    with run.inference() as networks:
        tensors = StepTensors(
            batch, run.computations, networks, lambda n, d: torch.randn(n, d, device=run.device, generator=fixed)
        )
        columns = [tensors[str(name)] for name in settings["show"]]
    conditional = any(names.LABEL in net.inputs for net in run.generators.values())
    per_row = run.context.num_classes if len(columns) == 1 and conditional else None
    return image_grid(columns, per_row=per_row)
