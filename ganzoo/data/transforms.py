"""Image transforms: pix2pix-style resizing, cropping and flipping, and conversion to ``[-1, 1]``.

Paired data (an input and its target, an image and its mask) must be cropped and flipped the same way,
so random parameters are drawn once with :meth:`PairedTransform.sample` and then applied to each image
of the pair::

    transform = PairedTransform(image_size=256, load_size=286, train=True)
    params = transform.sample(source.size)
    source, target = transform(source, params), transform(target, params)

Random draws use torch's global generator unless one is given: ``torch.manual_seed`` then makes a run
reproducible, and ``DataLoader`` workers, which torch seeds one by one, draw different crops.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from PIL import Image

from ganzoo.data.base import DataError
from ganzoo.errors import ParameterError
from ganzoo.parameters import check_positive

__all__ = [
    "CropFlip",
    "PairedTransform",
    "Preprocess",
    "denormalize",
    "normalize",
    "resize_and_center_crop",
    "to_tensor",
]

#: How :class:`PairedTransform` brings an image to its final size.
Preprocess = Literal["resize_and_crop", "resize", "none"]


def normalize(images: torch.Tensor) -> torch.Tensor:
    """Map images from ``[0, 1]`` to ``[-1, 1]``."""
    return images * 2.0 - 1.0


def denormalize(images: torch.Tensor) -> torch.Tensor:
    """Map images from ``[-1, 1]`` back to ``[0, 1]``, e.g. before ``torchvision.utils.save_image``.

    Values outside ``[-1, 1]`` (a generator without a ``tanh`` output) are clipped.

    Args:
        images: A tensor of any shape in ``[-1, 1]``.

    Returns:
        A float tensor of the same shape in ``[0, 1]``.
    """
    return ((images.float() + 1.0) / 2.0).clamp(0.0, 1.0)


def to_tensor(image: Image.Image) -> torch.Tensor:
    """Convert a PIL image (mode ``L`` or ``RGB``) to a float tensor ``(C, H, W)`` in ``[-1, 1]``."""
    array = np.asarray(image, dtype=np.uint8)
    if array.ndim == 2:
        array = array[:, :, None]
    tensor = torch.from_numpy(array.copy()).permute(2, 0, 1).float()
    return tensor / 127.5 - 1.0


def resize_and_center_crop(
    image: Image.Image, size: int, resample: Image.Resampling = Image.Resampling.BICUBIC
) -> Image.Image:
    """Scale the shorter side to ``size``, then cut the centred ``size`` × ``size`` square.

    This keeps the aspect ratio (nothing is squashed) at the cost of the borders of the longer side,
    the usual preparation of photo collections for unconditional GANs.
    """
    width, height = image.size
    scale = size / min(width, height)
    new_width, new_height = max(size, round(width * scale)), max(size, round(height * scale))
    if (new_width, new_height) != (width, height):
        image = image.resize((new_width, new_height), resample)
    left, top = (new_width - size) // 2, (new_height - size) // 2
    if (new_width, new_height) != (size, size):
        image = image.crop((left, top, left + size, top + size))
    return image


@dataclass(frozen=True)
class CropFlip:
    """The geometry applied to every image of one pair.

    Attributes:
        resize: ``(width, height)`` to resize to first, or ``None`` to keep the size.
        left: Left edge of the crop, in the resized image.
        top: Top edge of the crop, in the resized image.
        flip: Whether to mirror the crop left to right.
    """

    resize: tuple[int, int] | None
    left: int
    top: int
    flip: bool


class PairedTransform:
    """Resize, crop and flip as the pix2pix and CycleGAN reference code does, then scale to ``[-1, 1]``.

    * ``"resize_and_crop"`` (the reference default): resize to ``load_size`` × ``load_size``, then cut an
      ``image_size`` square: at a random place when training, in the centre otherwise.
    * ``"resize"``: resize straight to ``image_size`` × ``image_size``.
    * ``"none"``: keep the image as it is; it must already be ``image_size`` × ``image_size``.

    When training (and ``flip`` is on), half of the images are also mirrored left to right.

    Args:
        image_size: Side of the square output.
        load_size: Side the image is resized to before cropping (``"resize_and_crop"`` only).
        preprocess: One of the modes above.
        train: Draw random crops and flips; otherwise crop in the centre and never flip.
        flip: Allow random horizontal flips when training.
    """

    def __init__(
        self,
        *,
        image_size: int = 256,
        load_size: int = 286,
        preprocess: Preprocess = "resize_and_crop",
        train: bool = True,
        flip: bool = True,
    ) -> None:
        check_positive(image_size=image_size)
        if preprocess not in ("resize_and_crop", "resize", "none"):
            raise ParameterError(
                f"preprocess={preprocess!r}: expected 'resize_and_crop', 'resize' or 'none'"
            )
        if preprocess == "resize_and_crop" and load_size < image_size:
            raise ParameterError(
                f"load_size={load_size} is smaller than image_size={image_size}: the crop must fit "
                "inside the resized image; pass load_size >= image_size"
            )
        self.image_size = image_size
        self.load_size = load_size
        self.preprocess = preprocess
        self.train = train
        self.flip = flip

    def sample(
        self,
        size: tuple[int, int],
        *,
        generator: torch.Generator | None = None,
        path: str | Path | None = None,
    ) -> CropFlip:
        """Draw the geometry for an image (or a pair of images) of the given size.

        Args:
            size: ``(width, height)`` of the input image, as PIL gives it.
            generator: The random generator to draw from; torch's global one when ``None``.
            path: The file the image came from, named in errors.

        Returns:
            Parameters to pass to :meth:`__call__` for each image of the pair.

        Raises:
            DataError: With ``preprocess="none"``, if the image is not ``image_size`` square.
        """
        crop = self.image_size
        if self.preprocess == "resize_and_crop":
            resize: tuple[int, int] | None = (self.load_size, self.load_size)
            room = self.load_size - crop
        elif self.preprocess == "resize":
            resize, room = (crop, crop), 0
        else:
            if tuple(size) != (crop, crop):
                where = f"{path}: " if path is not None else ""
                raise DataError(
                    f"{where}image is {size[0]}x{size[1]} but preprocess='none' needs "
                    f"{crop}x{crop}; resize the images or pass preprocess='resize_and_crop'"
                )
            resize, room = None, 0
        if self.train:
            left = int(torch.randint(room + 1, (), generator=generator))
            top = int(torch.randint(room + 1, (), generator=generator))
            flip = self.flip and bool(torch.rand((), generator=generator) < 0.5)
        else:
            left = top = room // 2
            flip = False
        return CropFlip(resize=resize, left=left, top=top, flip=flip)

    def apply(
        self,
        image: Image.Image,
        params: CropFlip,
        resample: Image.Resampling = Image.Resampling.BICUBIC,
    ) -> Image.Image:
        """Apply the geometry to a PIL image and return the PIL image (masks: pass ``NEAREST``)."""
        if params.resize is not None and image.size != params.resize:
            image = image.resize(params.resize, resample)
        size = self.image_size
        if image.size != (size, size):
            image = image.crop((params.left, params.top, params.left + size, params.top + size))
        if params.flip:
            image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        return image

    def __call__(self, image: Image.Image, params: CropFlip) -> torch.Tensor:
        """Apply the geometry and return a float tensor ``(C, image_size, image_size)`` in ``[-1, 1]``."""
        return to_tensor(self.apply(image, params))
