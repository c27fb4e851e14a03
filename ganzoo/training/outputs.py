"""What a run writes besides checkpoints: the metrics log, TensorBoard events, sample grids, plots.

Every file goes through :mod:`ganzoo.atomic` (whole or not at all), except the append-only metrics
log, whose lines are written whole and flushed, so a killed run leaves at most an incomplete last line
that :func:`read_metrics` skips.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torchvision.utils import make_grid

from ganzoo.atomic import atomic_write

METRICS_FILE = "metrics.jsonl"


class MetricsLog:
    """Appends one JSON object per logged step to ``metrics.jsonl``, and to TensorBoard when installed.

    Args:
        directory: The run directory.
        tensorboard: Also write TensorBoard events under ``directory/tensorboard`` if the
            ``tensorboard`` package is installed.
    """

    def __init__(self, directory: Path, *, tensorboard: bool = True) -> None:
        self.path = directory / METRICS_FILE
        self.writer = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:  # TensorBoard is optional
                SummaryWriter = None
            if SummaryWriter is not None:
                self.writer = SummaryWriter(str(directory / "tensorboard"))

    def truncate_after(self, step: int) -> None:
        """Drop records past ``step`` (a resumed run repeats the steps after its checkpoint)."""
        if not self.path.exists():
            return
        kept = [record for record in read_metrics(self.path) if record["step"] <= step]
        text = "".join(json.dumps(record) + "\n" for record in kept)
        atomic_write(self.path, lambda stream: stream.write(text.encode("utf-8")))

    def write(self, step: int, values: Mapping[str, float]) -> None:
        """Record ``values`` at ``step``."""
        record = {"step": step, **{key: float(value) for key, value in values.items()}}
        with open(self.path, "a", encoding="utf-8") as stream:
            stream.write(json.dumps(record) + "\n")
            stream.flush()
        if self.writer is not None:
            for key, value in values.items():
                self.writer.add_scalar(key, value, step)

    def close(self) -> None:
        """Flush and close TensorBoard's writer."""
        if self.writer is not None:
            self.writer.close()


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """Read ``metrics.jsonl``, skipping a last line a kill cut short (and any line that is not a record)."""
    records = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and isinstance(record.get("step"), int):
            records.append(record)
    return records


def to_display(images: torch.Tensor, channels: int) -> torch.Tensor:
    """Map images from [-1, 1] to [0, 1] with ``channels`` channels (1 → 3 by repetition), on the CPU."""
    images = images.detach().float().cpu()
    if images.shape[1] != channels:
        images = images[:, :1].expand(-1, channels, -1, -1)
    return ((images.clamp(-1, 1) + 1) / 2).contiguous()


def image_grid(columns: Sequence[torch.Tensor], *, per_row: int | None = None) -> torch.Tensor:
    """Lay out one or more aligned batches as a grid.

    With one batch, the images fill a square-ish grid. With several (input | output | target), each
    sample becomes a group of adjacent images, and groups are laid side by side.

    Args:
        columns: Batches of equal length in [-1, 1]; channels and sizes may differ.
        per_row: Groups per row (default: about square).

    Returns:
        A ``(3 or 1, H, W)`` image in [0, 1].
    """
    channels = max(c.shape[1] for c in columns)
    size = max(c.shape[-1] for c in columns)
    batches = [
        to_display(F.interpolate(c.float(), size=(size, size)) if c.shape[-1] != size else c, channels)
        for c in columns
    ]
    count = batches[0].shape[0]
    tiles = torch.stack(batches, dim=1).flatten(0, 1)  # sample-major: s0c0, s0c1, …, s1c0, …
    groups = per_row or max(1, round(math.sqrt(count / len(columns))))
    return make_grid(tiles, nrow=groups * len(columns), padding=2, pad_value=1.0)


def save_png(path: Path, image: torch.Tensor) -> None:
    """Save a ``(C, H, W)`` image in [0, 1] as a PNG, atomically."""
    from PIL import Image

    array = (image.clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    picture = Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    atomic_write(path, lambda stream: stream.write(buffer.getvalue()))


def plot_losses(metrics_path: Path, out: Path) -> bool:
    """Plot every loss in the metrics log against the step; returns False when there is nothing to plot."""
    records = read_metrics(metrics_path)
    keys = sorted({key for record in records for key in record if key.startswith(("G/", "D/"))})
    if not keys:
        return False
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(11, 4), sharex=True)
    for axis, prefix, title in ((axes[0], "D/", "discriminator"), (axes[1], "G/", "generator")):
        for key in (k for k in keys if k.startswith(prefix)):
            points = [(r["step"], r[key]) for r in records if key in r]
            axis.plot([p[0] for p in points], [p[1] for p in points], label=key[len(prefix):], marker="." if len(points) < 20 else None)
        axis.set_title(f"{title} losses")
        axis.set_xlabel("step")
        if axis.get_lines():
            axis.legend(fontsize="small")
        axis.grid(alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    atomic_write(out, lambda stream: stream.write(buffer.getvalue()))
    return True
