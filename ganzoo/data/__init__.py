"""Data sets for GAN training: built-in offline digits, torchvision benchmarks and image folders.

Every data set is a :class:`GanDataset` whose items are dicts of tensors (``"image"``, ``"label"``,
``"source"``, ``"mask"``, ``"exemplar"``, ``"A"``, ``"B"``; see :mod:`ganzoo.data.base`) with images
in ``[-1, 1]``. :data:`DATASETS` maps the name users type to each class:

=====================  ===========================  ============================================
name                   class                        items
=====================  ===========================  ============================================
``digits``             :class:`Digits`              image, label
``edges2digits``       :class:`EdgesToDigits`       source, image, label
``digits_unpaired``    :class:`UnpairedDigits`      A, B
``digits_inpainting``  :class:`DigitsInpainting`    image, mask, source, exemplar, label
``torchvision``        :class:`TorchvisionDataset`  image, label
``image_folder``       :class:`ImageFolder`         image (and label with class folders)
``aligned``            :class:`AlignedFolder`       source, image
``unaligned``          :class:`UnalignedFolder`     A, B
``exemplar_folder``    :class:`ExemplarFolder`      image, mask, source, exemplar, label
=====================  ===========================  ============================================

The four ``digits`` sets need no download: they are built from 5,000 real MNIST digits shipped with
the package (MNIST by Y. LeCun, C. Cortes and C. Burges, CC BY-SA 3.0; see ``DIGITS_LICENSE.txt``).
"""

from __future__ import annotations

from typing import Any

from ganzoo._lazy import lazy_exports

# Classes are imported on first access, so that finding a part's source (``ganzoo list``) does not
# import torch.
_EXPORTS = {
    "ITEM_KEYS": "ganzoo.data.base",
    "DataError": "ganzoo.data.base",
    "GanDataset": "ganzoo.data.base",
    "Digits": "ganzoo.data.digits",
    "DigitsInpainting": "ganzoo.data.digits",
    "EdgesToDigits": "ganzoo.data.digits",
    "UnpairedDigits": "ganzoo.data.digits",
    "AlignedFolder": "ganzoo.data.folders",
    "ExemplarFolder": "ganzoo.data.exemplar",
    "ImageFolder": "ganzoo.data.folders",
    "UnalignedFolder": "ganzoo.data.folders",
    "TorchvisionDataset": "ganzoo.data.torchvision_sets",
    "PairedTransform": "ganzoo.data.transforms",
    "denormalize": "ganzoo.data.transforms",
    "normalize": "ganzoo.data.transforms",
    "to_tensor": "ganzoo.data.transforms",
}

__all__ = [
    "DATASETS",
    "ITEM_KEYS",
    "AlignedFolder",
    "DataError",
    "Digits",
    "DigitsInpainting",
    "EdgesToDigits",
    "ExemplarFolder",
    "GanDataset",
    "ImageFolder",
    "PairedTransform",
    "TorchvisionDataset",
    "UnalignedFolder",
    "UnpairedDigits",
    "denormalize",
    "normalize",
    "to_tensor",
]


_export, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)


def __getattr__(name: str) -> Any:
    if name == "DATASETS":
        return {
            "digits": _export("Digits"),
            "edges2digits": _export("EdgesToDigits"),
            "digits_unpaired": _export("UnpairedDigits"),
            "digits_inpainting": _export("DigitsInpainting"),
            "torchvision": _export("TorchvisionDataset"),
            "image_folder": _export("ImageFolder"),
            "aligned": _export("AlignedFolder"),
            "unaligned": _export("UnalignedFolder"),
            "exemplar_folder": _export("ExemplarFolder"),
        }
    return _export(name)
