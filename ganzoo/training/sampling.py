"""``ganzoo sample``: images from a trained generator, without the training data.

A checkpoint holds the resolved configuration, so the generators are rebuilt from it exactly as they
were trained (and their weight average used, when the run kept one).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ganzoo.assembly import Context, build_network
from ganzoo.config import NAME_KEY, slot_params
from ganzoo.errors import ConfigError, did_you_mean
from ganzoo.network import GanNetwork
from ganzoo.plugins import get_registry
from ganzoo.training import checkpoint as ckpt
from ganzoo.training.outputs import image_grid, save_png, to_display
from ganzoo.zoo.schedules import CombinedSchedule

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")


def load_generators(checkpoint: str | Path, *, average: bool = True) -> tuple[dict[str, GanNetwork], dict[str, Any]]:
    """Rebuild a run's generators from a checkpoint.

    Args:
        checkpoint: A checkpoint file or a run directory.
        average: Use the weight average (EMA) when the run kept one.

    Returns:
        The generators by instance name (in eval mode, on the CPU) and the run's configuration.
    """
    state = ckpt.load_checkpoint(checkpoint)
    config = state["config"]
    registry = get_registry()
    context = Context(**{k: config.get(k) for k in ("image_size", "channels", "source_channels", "latent_dim", "num_classes")})
    generators = {}
    for instance, slot in config["networks"].items():
        if slot != "generator":
            continue
        network = build_network(registry, "generator", config["generator"], context).module
        try:
            network.load_state_dict(state["networks"][instance])
        except (KeyError, RuntimeError) as error:
            raise ckpt.CheckpointError(f"the checkpoint's weights for '{instance}' do not fit its configuration: {error}") from error
        generators[instance] = network
    if average:
        schedules = [registry.get("schedule", s[NAME_KEY]).build(**slot_params(s)) for s in config["schedule"].values()]
        combined = CombinedSchedule(schedules)
        combined.attach(generators)
        combined.load_state_dict(state["schedule"])
        generators = {name: combined.averaged(name) or net for name, net in generators.items()}
    for network in generators.values():
        network.eval()
    return generators, config


def _pick(generators: dict[str, GanNetwork], name: str | None) -> tuple[str, GanNetwork]:
    if name is None:
        name = next(iter(generators))
    if name not in generators:
        raise ConfigError(f"the run has no generator '{name}'{did_you_mean(name, generators)} (it has {', '.join(generators)})")
    return name, generators[name]


@torch.no_grad()
def sample_grid(checkpoint: str | Path, out: Path, *, n: int = 64, seed: int = 0, generator: str | None = None) -> Path:
    """Write a grid of ``n`` samples from a noise (or class-conditional) generator.

    Class-conditional generators cycle through the classes, one class per column.

    Raises:
        ConfigError: If the generator needs image inputs (use :func:`translate_folder`).
    """
    generators, config = load_generators(checkpoint)
    name, network = _pick(generators, generator)
    if not set(network.inputs) <= {"z", "label"}:
        raise ConfigError(
            f"generator '{name}' takes {', '.join(network.inputs)}, not noise; translate a folder instead: "
            "ganzoo sample checkpoint=… input=DIR out=DIR"
        )
    random = torch.Generator().manual_seed(seed)
    inputs = []
    for input_name in network.inputs:
        if input_name == "z":
            inputs.append(torch.randn(n, network.latent_dim, generator=random))
        else:
            inputs.append(torch.arange(n) % int(config["num_classes"]))
    images = network(*inputs)
    per_row = int(config["num_classes"]) if "label" in network.inputs else None
    save_png(out, image_grid([images], per_row=per_row))
    return out


@torch.no_grad()
def translate_folder(checkpoint: str | Path, source: Path, out: Path, *, generator: str | None = None) -> list[Path]:
    """Run an image-to-image generator over every image of a folder, writing one output per input.

    Raises:
        ConfigError: If the folder holds no image or the generator is not image-to-image.
        DataError: For a file that cannot be decoded (see :mod:`ganzoo.data.images`).
    """
    from torchvision.transforms.functional import pil_to_tensor, resize

    from ganzoo.data.images import load_image

    generators, config = load_generators(checkpoint)
    name, network = _pick(generators, generator)
    if network.inputs != ("source",):
        raise ConfigError(f"generator '{name}' takes {', '.join(network.inputs)}; folder translation needs an image-to-image generator")
    if not source.is_dir():
        raise ConfigError(f"input folder '{source}' does not exist")
    files = sorted(p for p in source.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ConfigError(f"input folder '{source}' holds no images ({', '.join(IMAGE_SUFFIXES)})")
    size, channels = int(config["image_size"]), int(config["source_channels"])
    written = []
    for file in files:
        tensor = pil_to_tensor(load_image(file, channels)).float() / 127.5 - 1  # DataError names the file
        tensor = resize(tensor, [size, size], antialias=True).unsqueeze(0)
        output = network(tensor)
        target = out / f"{file.stem}.png"
        save_png(target, to_display(output, output.shape[1])[0])
        written.append(target)
    return written
