"""The images a generator reads when it samples: a folder to translate, or the folders of an in-painting.

``ganzoo sample input=DIR`` feeds a generator that takes images, one output per input, named after it:

- A generator taking ``source`` alone (``pix2pix``, ``cyclegan``): ``DIR`` holds the images, each
  ``NAME.png`` (or ``.jpg``, …) giving the output ``NAME``. Each is resized to the run's image size.
- A generator taking ``source``, ``mask`` and ``exemplar`` (``exgan``): ``DIR`` holds one folder per
  input, with matching names::

      DIR/images/NAME.png      the image to in-paint
      DIR/masks/NAME.png       the region to fill: white fills, black keeps (cut at mid-grey); the
                               image's size
      DIR/exemplars/NAME.png   another image of the same identity, which guides the filling

  Images, masks and exemplars are scaled so that the shorter side is the run's image size and cut to
  the centred square, as :class:`~ganzoo.data.exemplar.ExemplarFolder` prepares them for training; the
  generator sees the image with the region blanked, and the output is the image with the region
  filled (the generator's pixels inside the mask, the image's outside).

Every file is found, matched and its size read before anything is generated, so a missing mask or an
exemplar of the wrong name is reported before a single output is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image

from ganzoo import vocabulary as names
from ganzoo.data.images import EXTENSIONS_TEXT, find_images, load_image, read_size
from ganzoo.errors import ConfigError

__all__ = ["FOLDERS", "InputItem", "find_inputs", "inpainting_layout", "load_inputs"]

#: The folder inside ``input=DIR`` that each image input of an in-painting generator is read from.
FOLDERS = {names.SOURCE: "images", names.MASK: "masks", names.EXEMPLAR: "exemplars"}


def inpainting_layout(folder: Path | str = "DIR") -> str:
    """The layout of an in-painting input folder, as messages and help texts say it."""
    return (
        f"{folder}/images/NAME.png, {folder}/masks/NAME.png (white = region to fill) and "
        f"{folder}/exemplars/NAME.png with matching names"
    )


@dataclass(frozen=True)
class InputItem:
    """One output to make: its name and the file of each image input."""

    name: str
    files: dict[str, Path]


def _by_stem(folder: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for file in find_images(folder, recursive=False):
        if file.stem in found:
            raise ConfigError(
                f"'{found[file.stem]}' and '{file}' would both be written to '{file.stem}.png' (outputs are named "
                "after their inputs); rename one"
            )
        found[file.stem] = file
    return found


def find_inputs(folder: Path, inputs: Sequence[str]) -> list[InputItem]:
    """Find and match the input files of every output, checking them before anything is generated.

    Args:
        folder: The ``input=`` folder.
        inputs: The generator's image inputs (``source``, or ``source``, ``mask`` and ``exemplar``).

    Raises:
        ConfigError: If a folder is missing or empty, a name has no file in one of the folders, two
            files share a name, or a mask's size differs from its image's.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"input folder '{folder}' does not exist")
    if tuple(inputs) == (names.SOURCE,):
        images = _by_stem(folder)
        if not images:
            raise ConfigError(f"input folder '{folder}' holds no images ({EXTENSIONS_TEXT})")
        return [InputItem(name, {names.SOURCE: path}) for name, path in images.items()]
    unknown = [name for name in inputs if name not in FOLDERS]
    if unknown:
        raise ConfigError(f"cannot read input '{unknown[0]}' from a folder; generators read source, mask and exemplar images")
    layout = inpainting_layout(folder)
    files: dict[str, dict[str, Path]] = {}
    for name in inputs:
        sub = folder / FOLDERS[name]
        if not sub.is_dir():
            raise ConfigError(f"input folder '{folder}' has no {FOLDERS[name]}/ folder; expected {layout}")
        files[name] = _by_stem(sub)
    first = names.SOURCE if names.SOURCE in files else inputs[0]
    if not files[first]:
        raise ConfigError(f"'{folder / FOLDERS[first]}' holds no images ({EXTENSIONS_TEXT}); expected {layout}")
    items = []
    for stem, path in files[first].items():
        for name in inputs:
            if stem not in files[name]:
                raise ConfigError(f"'{path}' has no {FOLDERS[name][:-1]}: add {folder / FOLDERS[name] / stem}.png; expected {layout}")
        item = InputItem(stem, {name: files[name][stem] for name in inputs})
        if names.MASK in item.files and names.SOURCE in item.files:
            image_size, mask_size = read_size(item.files[names.SOURCE]), read_size(item.files[names.MASK])
            if image_size != mask_size:
                raise ConfigError(
                    f"'{item.files[names.MASK]}' is {mask_size[0]}x{mask_size[1]} but its image is "
                    f"{image_size[0]}x{image_size[1]}; a mask must have its image's size"
                )
        items.append(item)
    return items


def _square(image: Image.Image, size: int, resample: Image.Resampling = Image.Resampling.BICUBIC) -> torch.Tensor:
    from ganzoo.data.transforms import resize_and_center_crop, to_tensor

    return to_tensor(resize_and_center_crop(image, size, resample))


def load_inputs(items: Sequence[InputItem], inputs: Sequence[str], size: int, channels: int) -> dict[str, torch.Tensor]:
    """The image inputs of a batch of items, as the generator takes them, and ``image`` for in-painting.

    Args:
        items: The batch, from :func:`find_inputs`.
        inputs: The generator's image inputs.
        size: The run's image size.
        channels: The channels of the images the generator reads.

    Returns:
        One ``(N, …)`` tensor per input; with a mask, ``source`` is the image with the region blanked
        and ``image`` the whole image, to complete the output with.

    Raises:
        DataError: For a file that cannot be decoded, naming it.
    """
    from torchvision.transforms.functional import pil_to_tensor, resize

    if tuple(inputs) == (names.SOURCE,):  # translation: squashed to the square, as earlier versions did
        tensors = [pil_to_tensor(load_image(item.files[names.SOURCE], channels)).float() / 127.5 - 1 for item in items]
        return {names.SOURCE: torch.stack([resize(t, [size, size], antialias=True) for t in tensors])}
    batch: dict[str, list[torch.Tensor]] = {name: [] for name in inputs}
    for item in items:
        for name in inputs:
            if name == names.MASK:
                mask = _square(load_image(item.files[name], 1), size, Image.Resampling.NEAREST)
                batch[name].append((mask > 0.0).float())
            else:
                batch[name].append(_square(load_image(item.files[name], channels), size))
    tensors = {name: torch.stack(values) for name, values in batch.items()}
    if names.MASK in tensors and names.SOURCE in tensors:
        tensors[names.IMAGE] = tensors[names.SOURCE]
        tensors[names.SOURCE] = tensors[names.IMAGE] * (1.0 - tensors[names.MASK])
    return tensors
