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

from ganzoo.data.base import ITEM_KEYS, DataError, GanDataset
from ganzoo.data.digits import Digits, DigitsInpainting, EdgesToDigits, UnpairedDigits
from ganzoo.data.folders import AlignedFolder, ExemplarFolder, ImageFolder, UnalignedFolder
from ganzoo.data.torchvision_sets import TorchvisionDataset
from ganzoo.data.transforms import PairedTransform, denormalize, normalize, to_tensor

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

#: The data set parts by the name users type.
DATASETS: dict[str, type[GanDataset]] = {
    "digits": Digits,
    "edges2digits": EdgesToDigits,
    "digits_unpaired": UnpairedDigits,
    "digits_inpainting": DigitsInpainting,
    "torchvision": TorchvisionDataset,
    "image_folder": ImageFolder,
    "aligned": AlignedFolder,
    "unaligned": UnalignedFolder,
    "exemplar_folder": ExemplarFolder,
}
