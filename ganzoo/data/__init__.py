"""Data sets for GAN training: built-in offline digits, torchvision benchmarks and image folders.

Every data set is a :class:`~ganzoo.contracts.GanDataset` whose items are dicts of tensors
(``"image"``, ``"label"``, ``"source"``, ``"mask"``, ``"exemplar"``, ``"A"``, ``"B"``; see
:mod:`ganzoo.contracts.dataset`) with images in ``[-1, 1]``. The built-in zoo registers these
classes under the names users type:

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

from ganzoo._lazy import lazy_exports

# Classes are imported on first access, so that finding a part's source (``ganzoo list``) does not
# import torch.
_EXPORTS = {
    "ITEM_KEYS": "ganzoo.contracts.dataset",
    "DataError": "ganzoo.data.base",
    "GanDataset": "ganzoo.contracts.dataset",
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

__all__ = sorted(_EXPORTS)  # noqa: PLE0605  (the names are the keys above)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
