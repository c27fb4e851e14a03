"""Data sets read from folders of image files, in the layouts the reference GAN code uses.

* :class:`ImageFolder`: any folder of images, optionally one sub-folder per class (DCGAN, cGAN).
* :class:`AlignedFolder`: pix2pix's aligned format, each file an input and its target side by side.
* :class:`UnalignedFolder`: CycleGAN's format, two folders of unpaired images.
* :class:`ExemplarFolder`: one folder per identity, for exemplar-guided in-painting (ExGAN).

Images may be PNG, JPEG, BMP or WebP (:data:`~ganzoo.data.images.IMAGE_EXTENSIONS`, any letter
case) of any bit depth and mode, decoded as :mod:`ganzoo.data.images` says; hidden files and folders
(names starting with ``.``) are skipped. Each constructor checks the layout at once, so a wrong
path fails before training starts; files are decoded when an item is read, and a file that cannot be
decoded raises :class:`~ganzoo.data.base.DataError` naming it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import torch
from PIL import Image

from ganzoo.data.base import (
    DataError,
    GanDataset,
    check_channels,
    check_fraction,
    check_index,
    check_positive,
    index_generator,
)
from ganzoo.data.images import EXTENSIONS_TEXT as _EXTENSIONS_TEXT
from ganzoo.data.images import IMAGE_EXTENSIONS, find_images, load_image, read_size, to_channels
from ganzoo.data.transforms import PairedTransform, Preprocess, resize_and_center_crop, to_tensor
from ganzoo.errors import ParameterError

__all__ = [
    "IMAGE_EXTENSIONS",
    "AlignedFolder",
    "ExemplarFolder",
    "ImageFolder",
    "UnalignedFolder",
    "find_images",
    "load_image",
]


def _sub_folders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _require_folder(folder: Path, layout: str) -> None:
    if not folder.exists():
        raise DataError(f"folder {folder} does not exist; expected {layout}")
    if not folder.is_dir():
        raise DataError(f"{folder} is not a folder; expected {layout}")


def _require_images(folder: Path, layout: str, *, recursive: bool = True) -> list[Path]:
    _require_folder(folder, layout)
    images = find_images(folder, recursive=recursive)
    if not images:
        raise DataError(f"folder {folder} holds no {_EXTENSIONS_TEXT} images; expected {layout}")
    return images


class ImageFolder(GanDataset):
    """Images from a folder, with class labels when they are sorted into one sub-folder per class.

    Two layouts are understood::

        root/<class>/**/*.png      labelled: at least two class folders, indices in sorted name order
        root/**/*.png              unlabelled: every image under root

    A single sub-folder (such as CelebA's ``img_align_celeba/``) or images lying directly in
    ``root`` mean the unlabelled layout. Items are ``{"image", "label"}`` when labelled, else
    ``{"image"}``. Each image is scaled so that its shorter side is ``image_size`` and cut to the
    centred square, keeping its aspect ratio.

    Args:
        root: The folder holding the images.
        image_size: Side of the square images.
        channels: 1 to convert to greyscale, 3 to RGB.
        labels: Read class folders as labels; ``False`` treats every layout as unlabelled.
    """

    def __init__(
        self, *, root: str = "data", image_size: int = 64, channels: int = 3, labels: bool = True
    ) -> None:
        check_positive("image_size", image_size)
        check_channels("channels", channels)
        self.root = Path(root)
        self.image_size = image_size
        self.channels = self.source_channels = channels
        layout = (
            f"{self.root}/*.png (any {_EXTENSIONS_TEXT} file, sub-folders searched too) or one "
            f"folder per class, {self.root}/<class>/*.png"
        )
        _require_folder(self.root, layout)
        class_folders = _sub_folders(self.root)
        labelled = (
            labels and len(class_folders) >= 2 and not find_images(self.root, recursive=False)
        )
        self.classes: list[str] = []
        self._labels: list[int] = []
        if labelled:
            self.paths: list[Path] = []
            for class_index, folder in enumerate(class_folders):
                found = find_images(folder)
                if not found:
                    raise DataError(
                        f"class folder {folder} holds no {_EXTENSIONS_TEXT} images; expected "
                        f"{layout}. Remove the folder or add its images"
                    )
                self.classes.append(folder.name)
                self.paths.extend(found)
                self._labels.extend([class_index] * len(found))
            self.keys = ("image", "label")
        else:
            self.paths = _require_images(self.root, layout)
            self.keys = ("image",)
        self.num_classes = len(self.classes)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        index = check_index(index, len(self))
        image = load_image(self.paths[index], self.channels)
        item = {"image": to_tensor(resize_and_center_crop(image, self.image_size))}
        if self.num_classes:
            item["label"] = torch.tensor(self._labels[index], dtype=torch.int64)
        return item


def _check_split(split: str, allowed: tuple[str, ...]) -> None:
    if split not in allowed:
        raise ParameterError(f"split={split!r}: expected one of {', '.join(map(repr, allowed))}")


class AlignedFolder(GanDataset):
    """Paired images in pix2pix's aligned format: each file holds an input and its target side by side.

    Layout::

        root/train/*.jpg    each image A|B: A in the left half, B in the right half
        root/val/*.jpg
        root/test/*.jpg

    (any of PNG, JPEG, BMP, WebP; sub-folders are searched too). Every image must be twice as wide as
    it is high. Items are ``{"source", "image"}``: with ``direction="AtoB"``, ``"source"`` is A (the
    generator's input) and ``"image"`` is B (its target); ``"BtoA"`` swaps them.

    Both halves receive the same geometry, as in the reference code: with ``"resize_and_crop"`` each
    half is resized to ``load_size`` square, then cut to ``image_size`` at a random place for training
    (in the centre otherwise); for training, the pair is also mirrored at random. See
    :class:`~ganzoo.data.transforms.PairedTransform` for the other ``preprocess`` modes.

    Args:
        root: The data set folder, e.g. ``datasets/facades``.
        split: The sub-folder to read.
        direction: ``"AtoB"`` to translate the left halves into the right ones, ``"BtoA"`` for the
            reverse.
        image_size: Side of the square crops.
        load_size: Side each half is resized to before cropping.
        preprocess: ``"resize_and_crop"``, ``"resize"`` (straight to ``image_size``) or ``"none"``.
        flip: Mirror pairs at random when training.
        channels: Channels of ``"image"`` (1 greyscale, 3 RGB).
        source_channels: Channels of ``"source"``; ``None`` for the same as ``channels``.
    """

    keys = ("source", "image")

    def __init__(
        self,
        *,
        root: str = "data",
        split: Literal["train", "val", "test"] = "train",
        direction: Literal["AtoB", "BtoA"] = "AtoB",
        image_size: int = 256,
        load_size: int = 286,
        preprocess: Preprocess = "resize_and_crop",
        flip: bool = True,
        channels: int = 3,
        source_channels: int | None = None,
    ) -> None:
        _check_split(split, ("train", "val", "test"))
        if direction not in ("AtoB", "BtoA"):
            raise ParameterError(f"direction={direction!r}: expected 'AtoB' or 'BtoA'")
        check_channels("channels", channels)
        if source_channels is not None:
            check_channels("source_channels", source_channels)
        self.root = Path(root)
        self.split = split
        self.direction = direction
        self.image_size = image_size
        self.channels = channels
        self.source_channels = channels if source_channels is None else source_channels
        self.transform = PairedTransform(
            image_size=image_size,
            load_size=load_size,
            preprocess=preprocess,
            train=split == "train",
            flip=flip,
        )
        layout = (
            f"{self.root}/{split}/*.jpg, each image holding A|B side by side (A on the left, B on "
            f"the right, width = 2 x height), e.g. {self.root}/train, {self.root}/val, {self.root}/test"
        )
        self.paths = _require_images(self.root / split, layout)
        # One header read catches a folder in the wrong format before training starts.
        self._check_pair_size(self.paths[0], read_size(self.paths[0]))

    @staticmethod
    def _check_pair_size(path: Path, size: tuple[int, int]) -> None:
        width, height = size
        if width % 2 or width != 2 * height:
            raise DataError(
                f"{path}: image is {width}x{height}, but the aligned format needs A|B side by side, "
                f"so a width of exactly twice the height ({2 * height}x{height}); fix the file or "
                "use the 'unaligned' data set for separate A and B folders"
            )

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        index = check_index(index, len(self))
        path = self.paths[index]
        pair = load_image(path, max(self.channels, self.source_channels))
        self._check_pair_size(path, pair.size)
        width, height = pair.size
        half_a = pair.crop((0, 0, width // 2, height))
        half_b = pair.crop((width // 2, 0, width, height))
        source, target = (half_a, half_b) if self.direction == "AtoB" else (half_b, half_a)
        params = self.transform.sample(source.size, path=path)
        source, target = to_channels(source, self.source_channels), to_channels(target, self.channels)
        return {"source": self.transform(source, params), "image": self.transform(target, params)}


class UnalignedFolder(GanDataset):
    """Unpaired images of two domains in CycleGAN's format.

    Layout::

        root/trainA/*.jpg   domain A for training      root/testA/*.jpg   domain A for testing
        root/trainB/*.jpg   domain B for training      root/testB/*.jpg   domain B for testing

    (any of PNG, JPEG, BMP, WebP; sub-folders are searched too; the domains may differ in size).
    Items are ``{"A", "B"}``. There are ``max(len(A), len(B))`` items; item ``i`` takes
    ``A[i % len(A)]`` and, for training, a ``B`` drawn at random with torch's global generator
    (seeded by ``torch.manual_seed``, a stream of its own in each ``DataLoader`` worker), for testing
    ``B[i % len(B)]``, like the reference loader. Each image gets its own crop and flip
    (see :class:`AlignedFolder` for the geometry).

    Args:
        root: The data set folder, e.g. ``datasets/horse2zebra``.
        split: ``"train"`` reads ``trainA``/``trainB``, ``"test"`` reads ``testA``/``testB``.
        image_size: Side of the square crops.
        load_size: Side images are resized to before cropping.
        preprocess: ``"resize_and_crop"``, ``"resize"`` (straight to ``image_size``) or ``"none"``.
        flip: Mirror images at random when training.
        channels: Channels of ``"B"`` (1 greyscale, 3 RGB).
        source_channels: Channels of ``"A"``; ``None`` for the same as ``channels``.
    """

    keys = ("A", "B")

    def __init__(
        self,
        *,
        root: str = "data",
        split: Literal["train", "test"] = "train",
        image_size: int = 256,
        load_size: int = 286,
        preprocess: Preprocess = "resize_and_crop",
        flip: bool = True,
        channels: int = 3,
        source_channels: int | None = None,
    ) -> None:
        _check_split(split, ("train", "test"))
        check_channels("channels", channels)
        if source_channels is not None:
            check_channels("source_channels", source_channels)
        self.root = Path(root)
        self.split = split
        self.image_size = image_size
        self.channels = channels
        self.source_channels = channels if source_channels is None else source_channels
        self.transform = PairedTransform(
            image_size=image_size,
            load_size=load_size,
            preprocess=preprocess,
            train=split == "train",
            flip=flip,
        )
        layout = (
            f"{self.root}/{split}A/*.jpg and {self.root}/{split}B/*.jpg, one folder of images per "
            "domain (trainA, trainB, testA, testB)"
        )
        _require_folder(self.root, layout)
        self.a_paths = _require_images(self.root / f"{split}A", layout)
        self.b_paths = _require_images(self.root / f"{split}B", layout)

    def __len__(self) -> int:
        return max(len(self.a_paths), len(self.b_paths))

    def _load(self, path: Path, channels: int) -> torch.Tensor:
        image = load_image(path, channels)
        return self.transform(image, self.transform.sample(image.size, path=path))

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        index = check_index(index, len(self))
        if self.split == "train":
            b_index = int(torch.randint(len(self.b_paths), ()))
        else:
            b_index = index % len(self.b_paths)
        return {
            "A": self._load(self.a_paths[index % len(self.a_paths)], self.source_channels),
            "B": self._load(self.b_paths[b_index], self.channels),
        }


class ExemplarFolder(GanDataset):
    """Exemplar-guided in-painting data: several images per identity, optional masks (ExGAN format).

    Layout::

        root/<identity>/<name>.png          at least 2 images of one identity (person, object, ...)
        root/<identity>/masks/<name>.png    optional: the region to fill in <name>, white = fill

    Images may be PNG, JPEG, BMP or WebP; a mask is looked up as ``masks/<file name>`` and then as
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
        check_positive("image_size", image_size)
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
        _require_folder(self.root, layout)
        identities = _sub_folders(self.root)
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
