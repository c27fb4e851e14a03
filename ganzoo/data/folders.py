"""Data sets read from folders of image files, in the layouts the reference GAN code uses.

* :class:`ImageFolder`: any folder of images, optionally one sub-folder per class (DCGAN, cGAN).
* :class:`AlignedFolder`: pix2pix's aligned format, each file an input and its target side by side.
* :class:`UnalignedFolder`: CycleGAN's format, two folders of unpaired images.

(:class:`~ganzoo.data.exemplar.ExemplarFolder`, one folder per identity for exemplar-guided
in-painting, has a module of its own.)

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

from ganzoo.contracts import GanDataset
from ganzoo.data.base import (
    DataError,
    check_channels,
    check_index,
)
from ganzoo.data.images import EXTENSIONS_TEXT as _EXTENSIONS_TEXT
from ganzoo.data.images import (
    IMAGE_EXTENSIONS,
    find_images,
    load_image,
    read_size,
    require_folder,
    require_images,
    sub_folders,
    to_channels,
)
from ganzoo.data.transforms import PairedTransform, Preprocess, resize_and_center_crop, to_tensor
from ganzoo.errors import ParameterError
from ganzoo.parameters import check_positive

__all__ = [
    "IMAGE_EXTENSIONS",
    "AlignedFolder",
    "ImageFolder",
    "UnalignedFolder",
    "find_images",
    "load_image",
]


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
        check_positive(image_size=image_size)
        check_channels("channels", channels)
        self.root = Path(root)
        self.image_size = image_size
        self.channels = self.source_channels = channels
        layout = (
            f"{self.root}/*.png (any {_EXTENSIONS_TEXT} file, sub-folders searched too) or one "
            f"folder per class, {self.root}/<class>/*.png"
        )
        require_folder(self.root, layout)
        class_folders = sub_folders(self.root)
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
            self.paths = require_images(self.root, layout)
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
        self.paths = require_images(self.root / split, layout)
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
        require_folder(self.root, layout)
        self.a_paths = require_images(self.root / f"{split}A", layout)
        self.b_paths = require_images(self.root / f"{split}B", layout)

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
