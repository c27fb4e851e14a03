"""``ganzoo sample``: images from a trained generator, without the training data.

A checkpoint holds the resolved configuration, so the generators are rebuilt from it exactly as they
were trained (and their weight average used, when the run kept one).

Outputs are checked before anything is generated (:func:`ganzoo.output_paths.check_new_output`): no
existing file is replaced unless asked, and nothing is ever written into a run directory. Samples are
generated a batch at a time, each batch turned into 8-bit pixels at once, so a large grid takes the
memory of its pixels only.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from ganzoo.contracts import GanNetwork
from ganzoo.errors import ConfigError, did_you_mean
from ganzoo.output_paths import check_new_output
from ganzoo.plugins import get_registry
from ganzoo.training import checkpoint as ckpt
from ganzoo.training.build import instance_params, restore_run
from ganzoo.training.outputs import GridCanvas, check_grid, save_png, to_display

NOISE_CHUNK = 256  # noise is drawn this many rows at a time, so that a seed gives the same samples at any batch size
PROGRESS_FROM = 1024  # a progress bar for this many samples or more (on a terminal)


def load_generators(checkpoint: str | Path, *, average: bool = True) -> tuple[dict[str, GanNetwork], dict[str, Any]]:
    """Rebuild a run's generators from a checkpoint, without its data set.

    Args:
        checkpoint: A checkpoint file or a run directory.
        average: Use the weight average (EMA) when the run kept one.

    Returns:
        The generators by instance name (in eval mode, on the CPU) and the run's configuration.
    """
    state = ckpt.load_checkpoint(checkpoint, require=ckpt.GENERATOR_SECTIONS)
    run = restore_run(state, get_registry(), torch.device("cpu"), data=False)
    generators = {name: (run.schedule.averaged(name) if average else None) or net for name, net in run.generators.items()}
    for network in generators.values():
        network.eval()
    return generators, run.config


def _pick(generators: dict[str, GanNetwork], name: str | None) -> tuple[str, GanNetwork]:
    if name is None:
        name = next(iter(generators))
    if name not in generators:
        raise ConfigError(f"the run has no generator '{name}'{did_you_mean(name, generators)} (it has {', '.join(generators)})")
    return name, generators[name]


def _positive(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name}={value}: {name}= takes a whole number of 1 or more")
    return value


@torch.no_grad()
def sample_grid(
    checkpoint: str | Path,
    out: Path,
    *,
    n: int = 64,
    seed: int = 0,
    generator: str | None = None,
    batch_size: int = 256,
    overwrite: bool = False,
) -> Path:
    """Write a grid of ``n`` samples from a noise (or class-conditional) generator.

    Class-conditional generators cycle through the classes, one class per column. The samples of a
    seed are the same at any ``batch_size``.

    Args:
        checkpoint: A checkpoint file or a run directory.
        out: The PNG file to write.
        n: How many samples.
        seed: The seed of the noise.
        generator: Which of the run's generators (default: its first).
        batch_size: Samples generated at a time (memory grows with it).
        overwrite: Replace ``out`` if it exists (a run's files are never replaced).

    Raises:
        ConfigError: If ``out`` may not be written, ``n`` or ``batch_size`` is below 1, the grid would
            exceed :data:`~ganzoo.training.outputs.MAX_GRID_PIXELS`, or the generator needs image inputs (use
            :func:`translate_folder`); all before anything is generated.
    """
    n, batch_size = _positive("n", n), _positive("batch_size", batch_size)
    out = Path(out)
    check_new_output(out, overwrite=overwrite, kind="file")
    generators, config = load_generators(checkpoint)
    name, network = _pick(generators, generator)
    if not set(network.inputs) <= {"z", "label"}:
        raise ConfigError(
            f"generator '{name}' takes {', '.join(network.inputs)}, not noise; translate a folder instead: "
            "ganzoo sample checkpoint=… input=DIR out=DIR"
        )
    per_row = int(config["num_classes"]) if "label" in network.inputs else None
    if config.get("image_size"):  # the shape assembly checked the generator makes
        check_grid(n, int(config["image_size"]), int(config["image_size"]), per_row=per_row)
    from tqdm import tqdm

    canvas = GridCanvas(n, per_row=per_row)
    with tqdm(total=n, unit="sample", desc="sampling", file=sys.stderr, leave=False, disable=True if n < PROGRESS_FROM else None) as progress:
        for start, noise in _noise_batches(n, batch_size, network.latent_dim if "z" in network.inputs else 0, seed):
            count = len(noise)
            inputs = [noise if input_name == "z" else torch.arange(start, start + count) % int(config["num_classes"]) for input_name in network.inputs]
            canvas.add(network(*inputs))
            progress.update(count)
    canvas.save(out)
    return out


def _noise_batches(n: int, batch_size: int, dim: int, seed: int) -> Iterator[tuple[int, torch.Tensor]]:
    """``(first index, noise)`` batches of ``batch_size`` rows, drawn in fixed chunks from ``seed``."""
    random = torch.Generator().manual_seed(seed)
    pending: list[torch.Tensor] = []
    drawn = start = 0
    while start < n:
        while sum(len(chunk) for chunk in pending) < min(batch_size, n - start):
            rows = min(NOISE_CHUNK, n - drawn)
            pending.append(torch.randn(rows, dim, generator=random))
            drawn += rows
        joined = torch.cat(pending)
        batch, rest = joined[:batch_size], joined[batch_size:]
        pending = [rest] if len(rest) else []
        yield start, batch
        start += len(batch)


@torch.no_grad()
def translate_folder(
    checkpoint: str | Path, source: Path, out: Path, *, generator: str | None = None, overwrite: bool = False
) -> list[Path]:
    """Run an image-to-image generator over every image of a folder, writing one output per input.

    Args:
        checkpoint: A checkpoint file or a run directory.
        source: The folder of input images.
        out: The folder to write ``NAME.png`` into, for each input ``NAME.*``.
        generator: Which of the run's generators (default: its first).
        overwrite: Replace outputs that exist (a run's files are never replaced).

    Raises:
        ConfigError: If the folder holds no image, the generator is not image-to-image, ``out`` is not
            a folder or is inside a run, or an output exists and ``overwrite`` is false; all before
            anything is generated.
        DataError: For a file that cannot be decoded (see :mod:`ganzoo.data.images`).
    """
    from torchvision.transforms.functional import pil_to_tensor, resize

    from ganzoo.data.images import EXTENSIONS_TEXT, find_images, load_image

    source, out = Path(source), Path(out)
    check_new_output(out, overwrite=overwrite, kind="folder")
    generators, config = load_generators(checkpoint)
    name, network = _pick(generators, generator)
    if network.inputs != ("source",):
        raise ConfigError(f"generator '{name}' takes {', '.join(network.inputs)}; folder translation needs an image-to-image generator")
    if not source.is_dir():
        raise ConfigError(f"input folder '{source}' does not exist")
    files = find_images(source, recursive=False)
    if not files:
        raise ConfigError(f"input folder '{source}' holds no images ({EXTENSIONS_TEXT})")
    if out.resolve() == source.resolve():
        raise ConfigError(f"out={out} is the input folder; write the outputs to another folder")
    targets: dict[Path, Path] = {}
    for file in files:
        target = out / f"{file.stem}.png"
        if target in targets:
            raise ConfigError(f"'{targets[target]}' and '{file}' would both be written to '{target}'; rename one")
        check_new_output(target, overwrite=overwrite, kind="file")
        targets[target] = file
    # The channels this generator reads: generators of one run may differ (a CycleGAN between RGB and grey).
    size = int(config["image_size"])
    channels = int(instance_params(config, name).get("in_channels") or config["source_channels"])
    written = []
    for target, file in targets.items():
        tensor = pil_to_tensor(load_image(file, channels)).float() / 127.5 - 1  # DataError names the file
        tensor = resize(tensor, [size, size], antialias=True).unsqueeze(0)
        output = network(tensor)
        save_png(target, to_display(output, output.shape[1])[0])
        written.append(target)
    return written
