"""The contract of the ``dataset`` parts: :class:`GanDataset`.

The trainer knows a data set only by name. To wire networks to it, it needs to know what one item holds
and how large its images are; :class:`GanDataset` states both. An item is a ``dict`` of tensors whose
keys come from a small shared vocabulary:

============  ================================================================  =====================
key           meaning                                                           shape, dtype
============  ================================================================  =====================
``image``     the real image the discriminator sees, or the generator's target  ``(C, H, W)`` float
``label``     class (or identity) index                                         ``()`` int64
``source``    a generator's input image (pix2pix input, masked image)           ``(C_src, H, W)`` float
``mask``      1 inside the region to fill, 0 elsewhere                          ``(1, H, W)`` float
``exemplar``  another image of the same class or identity                       ``(C, H, W)`` float
``A``, ``B``  the two unpaired domains of an unpaired translation task          ``(C, H, W)`` float
============  ================================================================  =====================

Images are always in ``[-1, 1]`` (a generator with a ``tanh`` output produces the same range); use
:func:`ganzoo.data.transforms.denormalize` to bring them back to ``[0, 1]`` for saving.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch
from torch.utils.data import Dataset

from ganzoo import vocabulary as names

__all__ = ["ITEM_KEYS", "GanDataset"]

#: The keys an item may hold, in the order :attr:`GanDataset.keys` lists them.
ITEM_KEYS = (names.IMAGE, names.LABEL, names.SOURCE, names.MASK, names.EXEMPLAR, "A", "B")


class GanDataset(Dataset[dict[str, torch.Tensor]], ABC):
    """Base class of the data set parts: a map-style data set whose items are dicts of tensors.

    Subclasses set the attributes below in their constructor (or as class attributes when they are
    fixed) and implement :meth:`__len__` and :meth:`__getitem__`. Constructors take keyword arguments
    only, each with a type hint and a default, so the host can check user input against the signature.

    Attributes:
        image_size: Height and width of every image in an item.
        channels: Channels of ``"image"``, ``"exemplar"`` and ``"B"``.
        source_channels: Channels of ``"source"`` and ``"A"`` (equal to :attr:`channels` when they
            are alike, also for data sets that have neither).
        num_classes: Number of distinct values of ``"label"``; 0 when items carry no label.
        keys: The keys of every item, from the vocabulary in :data:`ITEM_KEYS`.
    """

    image_size: int
    channels: int
    source_channels: int
    num_classes: int = 0
    keys: tuple[str, ...] = ("image",)

    @abstractmethod
    def __len__(self) -> int:
        """Number of items."""

    @abstractmethod
    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        """Return item ``index``: a dict with exactly the keys in :attr:`keys`."""

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(items={len(self)}, image_size={self.image_size}, "
            f"channels={self.channels}, source_channels={self.source_channels}, "
            f"num_classes={self.num_classes}, keys={self.keys})"
        )
