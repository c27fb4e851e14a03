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

import numpy as np
import torch
import torch.nn.functional as F
from torchvision.utils import make_grid

from ganzoo.atomic import atomic_write
from ganzoo.contracts.network import to_unit_range
from ganzoo.errors import ConfigError

METRICS_FILE = "metrics.jsonl"
GRID_PADDING = 2
MAX_GRID_PIXELS = 89_478_485
"""The most pixels a grid may have: Pillow's decompression-bomb limit, so that any viewer built on it opens the file."""


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
    images = to_unit_range(images.cpu())
    if images.shape[1] != channels:
        images = images[:, :1].expand(-1, channels, -1, -1)
    return images.contiguous()


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
    return make_grid(tiles, nrow=groups * len(columns), padding=GRID_PADDING, pad_value=1.0)


def grid_layout(count: int, *, per_row: int | None = None) -> tuple[int, int]:
    """The ``(rows, columns)`` of tiles :func:`image_grid` lays ``count`` images of one batch out in."""
    columns = min(per_row or max(1, round(math.sqrt(count))), count)
    return math.ceil(count / columns), columns


def grid_size(count: int, height: int, width: int, *, per_row: int | None = None) -> tuple[int, int]:
    """The ``(height, width)`` in pixels of the grid :func:`image_grid` makes of ``count`` images."""
    if count == 1:
        return height, width  # one image is shown as it is, without a frame
    rows, columns = grid_layout(count, per_row=per_row)
    return rows * (height + GRID_PADDING) + GRID_PADDING, columns * (width + GRID_PADDING) + GRID_PADDING


def largest_grid(height: int, width: int, *, per_row: int | None = None, limit: int = MAX_GRID_PIXELS) -> int:
    """The most images of ``height`` × ``width`` pixels a grid of at most ``limit`` pixels holds (0 if none)."""
    count = limit // ((height + GRID_PADDING) * (width + GRID_PADDING))  # every tile takes at least that much
    while count > 1 and math.prod(grid_size(count, height, width, per_row=per_row)) > limit:
        count -= 1
    return count if count > 1 else int(height * width <= limit)


def check_grid(count: int, height: int, width: int, *, per_row: int | None = None) -> None:
    """Refuse a grid of more than :data:`MAX_GRID_PIXELS`, naming the largest ``n`` that fits.

    Raises:
        ConfigError: If the grid of ``count`` images of ``height`` × ``width`` pixels is too large.
    """
    grid_height, grid_width = grid_size(count, height, width, per_row=per_row)
    if grid_height * grid_width > MAX_GRID_PIXELS:
        raise ConfigError(
            f"n={count}: a grid of {count} {height}×{width} samples would be {grid_width}×{grid_height} pixels, more "
            f"than the {MAX_GRID_PIXELS:,} an image may have; use n={largest_grid(height, width, per_row=per_row)} or fewer"
        )


class GridCanvas:
    """The one-batch grid of :func:`image_grid`, filled a batch at a time, in 8-bit pixels.

    For many samples, holding every image as floats (and then the float grid) takes gigabytes; the
    canvas holds only the final ``uint8`` pixels. The result is byte for byte what :func:`save_png`
    writes for ``image_grid([all_images], per_row=per_row)``.

    Args:
        count: How many images the grid holds.
        per_row: Images per row (default: about square).
    """

    def __init__(self, count: int, *, per_row: int | None = None) -> None:
        self.count = count
        self.per_row = per_row
        self.filled = 0
        self.pixels: np.ndarray | None = None

    def add(self, images: torch.Tensor) -> None:
        """Paste the next batch of images ``(N, C, H, W)`` in [-1, 1]."""
        tiles = _to_uint8(to_display(images, images.shape[1]))
        if tiles.shape[1] == 1:
            tiles = tiles.expand(-1, 3, -1, -1)  # as make_grid does for one-channel images
        tiles_hwc = tiles.permute(0, 2, 3, 1).numpy()
        _, height, width, channels = tiles_hwc.shape
        if self.pixels is None:
            check_grid(self.count, height, width, per_row=self.per_row)
            self.pixels = np.full((*grid_size(self.count, height, width, per_row=self.per_row), channels), 255, np.uint8)
        if self.count == 1:
            self.pixels[:] = tiles_hwc[0]
            self.filled = 1
            return
        _, columns = grid_layout(self.count, per_row=self.per_row)
        for tile in tiles_hwc[: self.count - self.filled]:
            row, column = divmod(self.filled, columns)
            top, left = row * (height + GRID_PADDING) + GRID_PADDING, column * (width + GRID_PADDING) + GRID_PADDING
            self.pixels[top : top + height, left : left + width] = tile
            self.filled += 1

    def save(self, path: Path) -> None:
        """Write the grid as a PNG, atomically."""
        if self.pixels is None:
            raise ValueError("the grid holds no image yet")
        save_png_array(path, self.pixels)


def _to_uint8(image: torch.Tensor) -> torch.Tensor:
    return (image.clamp(0, 1) * 255).round().to(torch.uint8)


def save_png(path: Path, image: torch.Tensor) -> None:
    """Save a ``(C, H, W)`` image in [0, 1] as a PNG, atomically."""
    save_png_array(path, _to_uint8(image).permute(1, 2, 0).numpy())


def save_png_array(path: Path, array: np.ndarray) -> None:
    """Save an ``(H, W, C)`` ``uint8`` array as a PNG, atomically."""
    from PIL import Image

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
