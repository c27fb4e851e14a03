"""``ganzoo sample``: images from a trained generator, without its training code or data set.

A checkpoint holds the resolved configuration, so the generators are rebuilt from it exactly as they
were trained (and their weight average used, when the run kept one).

- A generator from noise (and perhaps a class) makes ``n`` samples (:func:`sample_images`): the
  classes of a class-conditional generator in turn, or all of one class with ``label``. The samples of
  a seed are the same at any ``batch_size``.
- A generator that reads images makes one output per input (:func:`translate_folder`): a folder of
  images to translate, or the images, masks and exemplars of an in-painting (the layouts are in
  :mod:`ganzoo.training.sample_inputs`).

The output's form follows its name: a grid, a folder of PNG files or an array file of 8-bit pixels
(:mod:`ganzoo.training.image_writers`). Outputs are checked before anything is generated
(:func:`ganzoo.output_paths.check_new_output`): no existing file is replaced unless asked, and nothing
is ever written into a run directory. Samples are generated a batch at a time, each batch turned into
8-bit pixels at once, so a large ``n`` takes the memory of one batch (and of the grid's pixels).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from ganzoo import vocabulary as names
from ganzoo.contracts import GanNetwork
from ganzoo.errors import ConfigError, did_you_mean
from ganzoo.output_paths import check_new_output
from ganzoo.plugins import get_registry
from ganzoo.training import checkpoint as ckpt
from ganzoo.training.build import instance_params, restore_run
from ganzoo.training.image_writers import open_writer, output_form
from ganzoo.training.sample_inputs import FOLDERS, find_inputs, inpainting_layout, load_inputs

__all__ = ["load_generators", "pick_generator", "sample_grid", "sample_images", "translate_folder"]

NOISE_CHUNK = 256  # noise is drawn this many rows at a time, so that a seed gives the same samples at any batch size
PROGRESS_FROM = 1024  # a progress bar for this many samples or more (on a terminal)
#: Images per batch for generators that read images (their activations are larger than noise generators').
IMAGE_BATCH_SIZE = 16


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


def pick_generator(generators: dict[str, GanNetwork], name: str | None) -> tuple[str, GanNetwork]:
    """The generator ``name`` (default: the run's first).

    Raises:
        ConfigError: If the run has no generator of that name, or none at all.
    """
    if not generators:
        raise ConfigError("the checkpoint holds no generator; sample from a run that trains one")
    if name is None:
        name = next(iter(generators))
    if name not in generators:
        raise ConfigError(f"the run has no generator '{name}'{did_you_mean(name, generators)} (it has {', '.join(generators)})")
    return name, generators[name]


def _positive(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name}={value}: {name}= takes a whole number of 1 or more")
    return value


def _progress(total: int, unit: str) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, desc="sampling", file=sys.stderr, leave=False, disable=True if total < PROGRESS_FROM else None)


def _check_label(label: int | None, name: str, network: GanNetwork, classes: int) -> None:
    if label is None:
        return
    if names.LABEL not in network.inputs:
        raise ConfigError(f"label={label}: generator '{name}' takes no class ({', '.join(network.inputs)}); leave label= out")
    if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < classes:
        raise ConfigError(f"label={label}: generator '{name}' makes classes 0 to {classes - 1}; choose one of those")


@torch.no_grad()
def sample_images(
    checkpoint: str | Path,
    out: str | Path,
    *,
    n: int = 64,
    seed: int = 0,
    label: int | None = None,
    generator: str | None = None,
    batch_size: int = 256,
    overwrite: bool = False,
) -> Path:
    """Write ``n`` samples of a noise (or class-conditional) generator, in the form ``out`` names.

    Class-conditional generators make every class in turn (a grid has one class per column), or only
    class ``label``; the classes go beside the pixels of an ``.npz`` file, under ``labels``.

    Args:
        checkpoint: A checkpoint file or a run directory.
        out: A grid (``.png``, ``.jpg``), a folder (``DIR/``) or an array file (``.npz``, ``.npy``); see
            :func:`~ganzoo.training.image_writers.output_form`.
        n: How many samples.
        seed: The seed of the noise.
        label: The one class to make, for a class-conditional generator (default: all in turn).
        generator: Which of the run's generators (default: its first).
        batch_size: Samples generated at a time (memory grows with it).
        overwrite: Replace outputs that exist (a run's files are never replaced).

    Returns:
        The path written.

    Raises:
        ConfigError: If ``out`` has an unknown suffix or may not be written, ``n`` or ``batch_size``
            is below 1, ``label`` is not one of the generator's classes, a grid would exceed
            :data:`~ganzoo.training.outputs.MAX_GRID_PIXELS`, or the generator needs image inputs (use
            :func:`translate_folder`); all before anything is generated.
    """
    n, batch_size = _positive("n", n), _positive("batch_size", batch_size)
    form = output_form(out)
    check_new_output(form.path, overwrite=overwrite, kind="folder" if form.kind == "folder" else "file")
    generators, config = load_generators(checkpoint)
    name, network = pick_generator(generators, generator)
    if not set(network.inputs) <= set(names.SAMPLING_INPUTS):
        raise ConfigError(
            f"generator '{name}' takes {', '.join(network.inputs)}, not noise; give it images: ganzoo sample checkpoint=… "
            f"input=DIR out=DIR/ ({'DIR holds ' + inpainting_layout() if names.MASK in network.inputs else 'DIR holds the images'})"
        )
    classes = int(config.get("num_classes") or 0) if names.LABEL in network.inputs else 0
    _check_label(label, name, network, classes)
    per_row = classes if classes and label is None else None
    writer = open_writer(form, n, overwrite=overwrite, per_row=per_row)
    writer.check()
    if config.get("image_size"):  # the shape assembly checked the generator makes
        writer.check_size(int(config["image_size"]), int(config["image_size"]))
    latent = network.latent_dim if names.NOISE in network.inputs else 0
    with writer, _progress(n, "sample") as progress:
        for start, noise in _noise_batches(n, batch_size, latent, seed):
            count = len(noise)
            labels = torch.full((count,), label) if label is not None else torch.arange(start, start + count) % max(classes, 1)
            inputs = [noise if input_name == names.NOISE else labels for input_name in network.inputs]
            writer.add(network(*inputs), labels if classes else None)
            progress.update(count)
    return form.path


def sample_grid(checkpoint: str | Path, out: str | Path, **options: Any) -> Path:
    """:func:`sample_images` under its earlier name (``out`` was always a grid then)."""
    return sample_images(checkpoint, out, **options)


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


def _image_channels(config: dict[str, Any], name: str, image_inputs: list[str]) -> int:
    """The channels of the images a generator reads (a run's generators may differ: CycleGAN between RGB and grey)."""
    params = instance_params(config, name)
    if image_inputs == [names.SOURCE]:
        return int(params.get("in_channels") or config["source_channels"])
    return int(params.get("in_channels") or params.get("out_channels") or config["channels"])


@torch.no_grad()
def translate_folder(
    checkpoint: str | Path,
    source: str | Path,
    out: str | Path,
    *,
    seed: int = 0,
    generator: str | None = None,
    batch_size: int = IMAGE_BATCH_SIZE,
    overwrite: bool = False,
) -> list[Path]:
    """Run a generator that reads images over a folder of inputs, one output per input, named after it.

    An image-to-image generator reads ``source`` a folder of images; an in-painting generator reads
    ``source/images``, ``source/masks`` and ``source/exemplars`` (see :mod:`ganzoo.training.sample_inputs`).

    Args:
        checkpoint: A checkpoint file or a run directory.
        source: The input folder.
        out: A folder (``NAME.png`` for each input ``NAME``), or a grid or array file of the outputs in
            the order of the inputs' names; see :func:`~ganzoo.training.image_writers.output_form`.
        seed: The seed of the noise, for a generator that also takes ``z``.
        generator: Which of the run's generators (default: its first).
        batch_size: Inputs generated at a time (memory grows with it).
        overwrite: Replace outputs that exist (a run's files are never replaced).

    Returns:
        The files written.

    Raises:
        ConfigError: If the folder holds no images or lacks a mask or exemplar, the generator reads no
            images, ``out`` has an unknown suffix, is the input folder or is inside a run, or an output
            exists and ``overwrite`` is false; all before anything is generated.
        DataError: For a file that cannot be decoded (see :mod:`ganzoo.data.images`).
    """
    batch_size = _positive("batch_size", batch_size)
    form = output_form(out)
    source = Path(source)
    check_new_output(form.path, overwrite=overwrite, kind="folder" if form.kind == "folder" else "file")
    generators, config = load_generators(checkpoint)
    name, network = pick_generator(generators, generator)
    image_inputs = [input_name for input_name in network.inputs if input_name != names.NOISE]
    if not image_inputs or names.LABEL in image_inputs:
        raise ConfigError(
            f"generator '{name}' takes {', '.join(network.inputs)}; input=DIR feeds generators that read images "
            f"({', '.join(FOLDERS)}): sample this one without input="
        )
    if source.is_dir() and form.path.resolve() == source.resolve():
        raise ConfigError(f"out={out} is the input folder; write the outputs to another folder")
    items = find_inputs(source, image_inputs)
    writer = open_writer(form, len(items), overwrite=overwrite)
    writer.check([item.name for item in items])
    size, channels = int(config["image_size"]), _image_channels(config, name, image_inputs)
    writer.check_size(size, size)
    random = torch.Generator().manual_seed(seed)
    with writer, _progress(len(items), "image") as progress:
        for start in range(0, len(items), batch_size):
            batch = items[start : start + batch_size]
            tensors = load_inputs(batch, image_inputs, size, channels)  # DataError names the file
            if names.NOISE in network.inputs:
                tensors[names.NOISE] = torch.randn(len(batch), network.latent_dim, generator=random)
            output = network(*(tensors[input_name] for input_name in network.inputs))
            if names.MASK in tensors and names.IMAGE in tensors:  # the image, with the region filled
                mask = tensors[names.MASK]
                output = tensors[names.IMAGE] * (1.0 - mask) + output * mask
            writer.add(output)
            progress.update(len(batch))
    if form.kind == "folder":
        return [form.path / f"{item.name}.png" for item in items]
    return [form.path]
