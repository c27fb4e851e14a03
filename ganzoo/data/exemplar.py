"""Exemplar-guided in-painting data read from folders, one per identity (the ExGAN layout)."""

from __future__ import annotations

from pathlib import Path

import torch
from PIL import Image

from ganzoo.data.base import (
    DataError,
    GanDataset,
    check_channels,
    check_fraction,
    check_index,
    index_generator,
)
from ganzoo.data.images import find_images, load_image, read_size, require_folder, sub_folders
from ganzoo.data.transforms import resize_and_center_crop, to_tensor
from ganzoo.parameters import check_positive

__all__ = ["ExemplarFolder"]


class ExemplarFolder(GanDataset):
    """Exemplar-guided in-painting data: several images per identity, optional masks (ExGAN format).

    Layout::

        root/<identity>/<name>.png          at least 2 images of one identity (person, object, ...)
        root/<identity>/masks/<name>.png    optional: the region to fill in <name>, white = fill

    Images may be PNG, JPEG, BMP or WebP (decoded as :mod:`ganzoo.data.images` says); a mask is looked up as ``masks/<file name>`` and then as
    ``masks/<stem>.png`` (so ``a.jpg`` may have ``masks/a.png``), must have the size of its image and
    is binarised at mid-grey. An identity with a ``masks`` folder needs a mask for every image; an
    identity without one uses a centred square of side ``mask_size`` × ``image_size`` for each.
    Files directly inside ``root`` are ignored.

    Items hold ``"image"`` ``(C, S, S)``, ``"mask"`` ``(1, S, S)`` (1 = fill), ``"source"`` (the
    image with the masked region set to 0, the mid-grey of ``[-1, 1]``), ``"exemplar"`` (another
    image of the same identity, chosen with a generator seeded by ``seed`` and the item's index, so the
    same in every epoch) and ``"label"`` (the identity's index in sorted folder-name order). Images
    and masks are scaled so that the shorter side is ``image_size`` and cut to the centred square.

    Args:
        root: The folder holding one sub-folder per identity.
        image_size: Side of the square images.
        channels: 1 to convert to greyscale, 3 to RGB.
        mask_size: Side of the default centred square, as a fraction of ``image_size``.
        seed: Seed of the per-item choice of exemplar.
    """

    keys = ("image", "mask", "source", "exemplar", "label")

    def __init__(
        self,
        *,
        root: str = "data",
        image_size: int = 256,
        channels: int = 3,
        mask_size: float = 0.5,
        seed: int = 0,
    ) -> None:
        check_positive(image_size=image_size)
        check_channels("channels", channels)
        check_fraction("mask_size", mask_size)
        self.root = Path(root)
        self.image_size = image_size
        self.channels = self.source_channels = channels
        self.mask_size = mask_size
        self.seed = seed
        layout = (
            f"{self.root}/<identity>/*.png with at least 2 images per identity, and optional masks "
            f"{self.root}/<identity>/masks/<image name>.png (white = region to fill)"
        )
        require_folder(self.root, layout)
        identities = sub_folders(self.root)
        if not identities:
            raise DataError(f"folder {self.root} holds no identity folders; expected {layout}")
        self.identities = [folder.name for folder in identities]
        self.num_classes = len(identities)
        self.paths: list[Path] = []
        self.mask_paths: list[Path | None] = []
        self._labels: list[int] = []
        self._members: list[range] = []
        for label, folder in enumerate(identities):
            images = find_images(folder, recursive=False)
            if len(images) < 2:
                raise DataError(
                    f"identity folder {folder} holds {len(images)} image(s); every identity needs at "
                    f"least 2, one to in-paint and another as its exemplar. Add images or remove the "
                    f"folder; expected {layout}"
                )
            masks_folder = folder / "masks"
            first = len(self.paths)
            has_masks = masks_folder.is_dir()
            for image in images:
                self.paths.append(image)
                self.mask_paths.append(self._find_mask(masks_folder, image) if has_masks else None)
                self._labels.append(label)
            self._members.append(range(first, len(self.paths)))
        side = max(1, round(mask_size * image_size))
        start = (image_size - side) // 2
        self._default_mask = torch.zeros(1, image_size, image_size)
        self._default_mask[:, start : start + side, start : start + side] = 1.0

    @staticmethod
    def _find_mask(masks_folder: Path, image: Path) -> Path:
        for candidate in (masks_folder / image.name, masks_folder / f"{image.stem}.png"):
            if candidate.is_file():
                return candidate
        raise DataError(
            f"{image} has no mask: {masks_folder} exists, so every image of the identity needs one; "
            f"add {masks_folder / image.stem}.png (white = region to fill) or remove the masks folder"
        )

    def __len__(self) -> int:
        return len(self.paths)

    def _load(self, path: Path) -> torch.Tensor:
        return to_tensor(resize_and_center_crop(load_image(path, self.channels), self.image_size))

    def _mask(self, index: int) -> torch.Tensor:
        mask_path = self.mask_paths[index]
        if mask_path is None:
            return self._default_mask.clone()
        mask = load_image(mask_path, 1)
        image_size = read_size(self.paths[index])
        if mask.size != image_size:
            raise DataError(
                f"{mask_path}: mask is {mask.size[0]}x{mask.size[1]} but its image "
                f"{self.paths[index]} is {image_size[0]}x{image_size[1]}; masks must match their image"
            )
        mask = resize_and_center_crop(mask, self.image_size, Image.Resampling.NEAREST)
        return (to_tensor(mask) > 0.0).float()

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        index = check_index(index, len(self))
        label = self._labels[index]
        members = self._members[label]
        generator = index_generator(self.seed, index)
        # An offset in [1, n - 1] from the item's own place never picks the item itself.
        offset = 1 + int(torch.randint(len(members) - 1, (), generator=generator))
        exemplar = members[(index - members.start + offset) % len(members)]
        image = self._load(self.paths[index])
        mask = self._mask(index)
        return {
            "image": image,
            "mask": mask,
            "source": image * (1.0 - mask),
            "exemplar": self._load(self.paths[exemplar]),
            "label": torch.tensor(label, dtype=torch.int64),
        }
