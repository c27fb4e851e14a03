"""Built-in offline data sets made from 5,000 real MNIST digits shipped with the package.

The digits are 500 of each class, 28 × 28 greyscale, taken from the MNIST training set. MNIST is by
Y. LeCun, C. Cortes and C. Burges and is distributed under the Creative Commons Attribution-Share Alike
3.0 licence (CC BY-SA 3.0); see ``DIGITS_LICENSE.txt`` next to ``digits.npz`` in this package.

Every data set here uses the same split, fixed once and for all: for each class, the digits of that
class (in file order) are shuffled with ``numpy.random.RandomState(0)`` (whose stream NumPy keeps
stable across versions), the first 50 go to ``"test"`` and the other 450 to ``"train"``. That gives
4,500 training digits and 500 test digits, 10 % of each class in the test split.

Sizes: 28 is the native size; 32 pads 2 black pixels on each side (the usual way to feed MNIST to
networks that halve the size five times); any other size resizes with antialiased bilinear
interpolation.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from ganzoo.contracts import GanDataset
from ganzoo.data.base import (
    DataError,
    check_fraction,
    check_index,
    index_generator,
)
from ganzoo.errors import ParameterError
from ganzoo.parameters import check_positive

__all__ = [
    "Digits",
    "DigitsInpainting",
    "EdgesToDigits",
    "UnpairedDigits",
    "digits_split",
    "load_digits",
    "split_indices",
]

#: Seed of the ``numpy.random.RandomState`` that draws the test digits.
SPLIT_SEED = 0
#: Test digits per class.
TEST_PER_CLASS = 50
#: Number of classes (the ten digits).
NUM_CLASSES = 10
_NATIVE_SIZE = 28

Split = Literal["train", "test"]


@functools.cache
def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """Read the shipped digits once per process.

    Returns:
        ``images`` uint8 ``(5000, 28, 28)`` (white digit on black) and ``labels`` uint8 ``(5000,)``,
        both read-only.

    Raises:
        DataError: If the package data file is missing (a broken installation).
    """
    path = resources.files("ganzoo.data") / "digits.npz"
    try:
        with resources.as_file(path) as file, np.load(file) as archive:
            images, labels = archive["images"], archive["labels"]
    except (OSError, KeyError, ValueError) as error:
        raise DataError(
            f"cannot read the built-in digits from {path} ({error}); reinstall ganzoo"
        ) from error
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


@functools.cache
def split_indices(split: Split) -> np.ndarray:
    """Positions in the shipped file of the digits of one split (see the module notes).

    Args:
        split: ``"train"`` or ``"test"``.

    Returns:
        Sorted int64 positions: 4,500 for ``"train"``, 500 for ``"test"``.
    """
    _check_split(split)
    _, labels = load_digits()
    rng = np.random.RandomState(SPLIT_SEED)
    chosen = []
    for digit in range(NUM_CLASSES):
        members = rng.permutation(np.flatnonzero(labels == digit))
        chosen.append(members[:TEST_PER_CLASS] if split == "test" else members[TEST_PER_CLASS:])
    return np.sort(np.concatenate(chosen))


def _check_split(split: str) -> None:
    if split not in ("train", "test"):
        raise ParameterError(f"split={split!r}: expected 'train' or 'test'")


def _resize(images: torch.Tensor, image_size: int) -> torch.Tensor:
    """Bring ``(N, 1, 28, 28)`` images in ``[0, 1]`` to ``image_size`` (see the module notes)."""
    if image_size == _NATIVE_SIZE:
        return images
    if image_size == 32:
        return F.pad(images, (2, 2, 2, 2))
    resized = F.interpolate(
        images, size=(image_size, image_size), mode="bilinear", align_corners=False, antialias=True
    )
    return resized.clamp(0.0, 1.0)


@functools.lru_cache(maxsize=8)
def digits_split(split: Split, image_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The digits of one split at one size, cached per process.

    Args:
        split: ``"train"`` (4,500 digits) or ``"test"`` (500 digits).
        image_size: Side of the returned images.

    Returns:
        ``images`` float ``(N, 1, image_size, image_size)`` in ``[0, 1]`` and ``labels`` int64
        ``(N,)``, sorted by their position in the shipped file (hence by class). Treat them as
        read-only: they are shared by every data set built on the same split and size.
    """
    _check_split(split)
    check_positive(image_size=image_size)
    images, labels = load_digits()
    indices = split_indices(split)
    chosen = torch.from_numpy(images[indices].astype(np.float32) / 255.0).unsqueeze(1)
    return _resize(chosen, image_size), torch.from_numpy(labels[indices].astype(np.int64))


def _stroke_kernel(image_size: int) -> int:
    """An odd kernel width that scales with the image, so strokes thicken alike at every size."""
    return 2 * max(1, round(image_size / _NATIVE_SIZE)) + 1


def _dilate(images: torch.Tensor, kernel: int) -> torch.Tensor:
    return F.max_pool2d(images, kernel, stride=1, padding=kernel // 2)


def _to_item_image(image: torch.Tensor) -> torch.Tensor:
    # A fresh tensor in [-1, 1]: callers may modify items without touching the shared cache.
    return image * 2.0 - 1.0


class Digits(GanDataset):
    """Real MNIST digits shipped with ganzoo: 4,500 for training and 500 for testing, no download.

    Items are ``{"image", "label"}``: a white digit on black, ``(1, image_size, image_size)`` in
    ``[-1, 1]``, and its class 0-9. The split is fixed (see :mod:`ganzoo.data.digits`): 450 training
    and 50 test digits of each class.

    ``per_class=50`` keeps the first 50 training digits of each class (500 in all), the small data set
    of data-efficiency studies; the test split is always whole, so that held-out figures stay
    comparable between runs on subsets and on everything.

    Args:
        image_size: Side of the images: 28 (native), 32 (padded with 2 black pixels per side) or any
            other size (resized).
        split: ``"train"`` or ``"test"``.
        per_class: Training digits kept per class, from 1 to 450 (``None``: all of them).
    """

    channels = 1
    source_channels = 1
    num_classes = NUM_CLASSES
    keys = ("image", "label")

    def __init__(self, *, image_size: int = 28, split: Literal["train", "test"] = "train", per_class: int | None = None) -> None:
        self.image_size = image_size
        self.split = split
        self._images, self._labels = digits_split(split, image_size)
        if per_class is not None and split == "train":
            available = int(torch.bincount(self._labels, minlength=NUM_CLASSES).min())
            if not 1 <= per_class <= available:
                raise ParameterError(f"per_class={per_class}: the training split holds {available} digits of each class; use 1 to {available}")
            # The first per_class of each class, in the shipped order: the same subset in every run.
            keep = torch.cat([torch.nonzero(self._labels == label).flatten()[:per_class] for label in range(NUM_CLASSES)])
            self._images, self._labels = self._images[keep], self._labels[keep]

    def __len__(self) -> int:
        return len(self._labels)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        index = check_index(index, len(self))
        return {"image": _to_item_image(self._images[index]), "label": self._labels[index].clone()}


class EdgesToDigits(GanDataset):
    """Paired image-to-image task: draw a digit from the outline of its strokes (pix2pix).

    Items are ``{"source", "image", "label"}``. ``"source"`` is the edge map: the pixels just outside
    the strokes of the binarised digit (its outer morphological gradient, a one-pixel outline, white
    on black); ``"image"`` is the digit itself. Both are ``(1, image_size, image_size)`` in
    ``[-1, 1]``. The task mirrors pix2pix's ``edges2shoes`` on a scale that trains in minutes on a CPU.

    Args:
        image_size: Side of the images (32 pads the 28-pixel digits; see :class:`Digits`).
        split: ``"train"`` (4,500 pairs) or ``"test"`` (500 pairs).
    """

    channels = 1
    source_channels = 1
    num_classes = NUM_CLASSES
    keys = ("source", "image", "label")

    def __init__(self, *, image_size: int = 32, split: Literal["train", "test"] = "train") -> None:
        self.image_size = image_size
        self.split = split
        self._images, self._labels = digits_split(split, image_size)
        strokes = (self._images > 0.5).float()
        # Outline outside the strokes, so source and target never share a lit pixel.
        self._edges = _dilate(strokes, 3) - strokes

    def __len__(self) -> int:
        return len(self._labels)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        index = check_index(index, len(self))
        return {
            "source": _to_item_image(self._edges[index]),
            "image": _to_item_image(self._images[index]),
            "label": self._labels[index].clone(),
        }


class UnpairedDigits(GanDataset):
    """Unpaired translation task: thin digits to bold digits, with no pair in common (CycleGAN).

    Items are ``{"A", "B"}``, both ``(1, image_size, image_size)`` in ``[-1, 1]``. Domain ``"A"``
    holds digits as they are; domain ``"B"`` holds digits drawn with thick strokes (dilated with a
    square whose side grows with ``image_size``: 3 pixels at 28 or 32). The two domains come from
    disjoint halves of the split, alternating within each class, so no digit appears in both and no
    ``(A, B)`` pair exists to learn from; each domain has all ten classes.

    As in the CycleGAN reference loader, item ``i`` takes ``A[i % len(A)]`` and, for training, a
    ``B`` drawn at random with torch's global generator (seeded by ``torch.manual_seed``; each
    ``DataLoader`` worker draws its own stream), so A and B are paired differently in every epoch.
    For testing it takes ``B[i % len(B)]``.

    Args:
        image_size: Side of the images (32 pads the 28-pixel digits; see :class:`Digits`).
        split: ``"train"`` (2,250 digits per domain) or ``"test"`` (250 per domain).
    """

    channels = 1
    source_channels = 1
    num_classes = 0
    keys = ("A", "B")

    def __init__(self, *, image_size: int = 32, split: Literal["train", "test"] = "train") -> None:
        self.image_size = image_size
        self.split = split
        images, labels = digits_split(split, image_size)
        in_a = torch.zeros(len(labels), dtype=torch.bool)
        for digit in range(NUM_CLASSES):
            members = torch.nonzero(labels == digit).flatten()
            in_a[members[0::2]] = True
        self.a_indices = torch.nonzero(in_a).flatten()
        self.b_indices = torch.nonzero(~in_a).flatten()
        self._a = images[self.a_indices]
        self._b = _dilate(images[self.b_indices], _stroke_kernel(image_size))

    def __len__(self) -> int:
        return max(len(self._a), len(self._b))

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        index = check_index(index, len(self))
        if self.split == "train":
            b_index = int(torch.randint(len(self._b), ()))
        else:
            b_index = index % len(self._b)
        return {
            "A": _to_item_image(self._a[index % len(self._a)]),
            "B": _to_item_image(self._b[b_index]),
        }


class DigitsInpainting(GanDataset):
    """Exemplar-guided in-painting of digits: fill a hidden square given another digit of the class.

    A small version of the ExGAN task (Dolhansky & Ferrer, 2018). Items hold:

    * ``"image"``: the digit, ``(1, S, S)`` in ``[-1, 1]``;
    * ``"mask"``: ``(1, S, S)``, 1 inside a square of side ``round(mask_size * S)``;
    * ``"source"``: the digit with the square filled with 0, the mid-grey of ``[-1, 1]``, which
      differs from both the black background (-1) and the white strokes (+1);
    * ``"exemplar"``: a different digit of the same class from the same split;
    * ``"label"``: the class 0-9.

    For training, the square's position and the exemplar are drawn with a generator seeded by
    ``seed`` and the item's index, so an item is the same in every epoch and every worker. For testing,
    the square is centred and the exemplar is the next digit of the same class.

    Args:
        image_size: Side of the images (32 pads the 28-pixel digits; see :class:`Digits`).
        split: ``"train"`` (4,500 digits) or ``"test"`` (500 digits).
        mask_size: Side of the square as a fraction of ``image_size``, in ``(0, 1]``.
        seed: Seed of the per-item draws of mask positions and exemplars for training.
    """

    channels = 1
    source_channels = 1
    num_classes = NUM_CLASSES
    keys = ("image", "mask", "source", "exemplar", "label")

    def __init__(
        self,
        *,
        image_size: int = 32,
        split: Literal["train", "test"] = "train",
        mask_size: float = 0.5,
        seed: int = 0,
    ) -> None:
        check_fraction("mask_size", mask_size)
        self.image_size = image_size
        self.split = split
        self.mask_size = mask_size
        self.seed = seed
        self._images, self._labels = digits_split(split, image_size)
        self._side = max(1, round(mask_size * image_size))
        self._members = [torch.nonzero(self._labels == d).flatten() for d in range(NUM_CLASSES)]
        self._rank = torch.empty(len(self._labels), dtype=torch.int64)
        for members in self._members:
            self._rank[members] = torch.arange(len(members))

    def __len__(self) -> int:
        return len(self._labels)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        index = check_index(index, len(self))
        size, side = self.image_size, self._side
        label = int(self._labels[index])
        members = self._members[label]
        if self.split == "train":
            generator = index_generator(self.seed, index)
            top, left = (int(v) for v in torch.randint(size - side + 1, (2,), generator=generator))
            # An offset in [1, n - 1] never lands on the digit itself.
            offset = 1 + int(torch.randint(len(members) - 1, (), generator=generator))
        else:
            top = left = (size - side) // 2
            offset = 1
        exemplar = members[(int(self._rank[index]) + offset) % len(members)]
        image = _to_item_image(self._images[index])
        mask = torch.zeros(1, size, size)
        mask[:, top : top + side, left : left + side] = 1.0
        return {
            "image": image,
            "mask": mask,
            "source": image * (1.0 - mask),
            "exemplar": _to_item_image(self._images[exemplar]),
            "label": torch.tensor(label, dtype=torch.int64),
        }
