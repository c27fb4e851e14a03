"""Classic benchmark data sets read through torchvision: MNIST, Fashion-MNIST and CIFAR-10.

Nothing is downloaded unless asked for: with ``download=False`` (the default) the files must already be
under ``root`` in torchvision's layout, and a missing file raises an error that says where they were
looked for and how to download them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import torch
from PIL import Image

from ganzoo.contracts import GanDataset
from ganzoo.data.base import DataError, check_index
from ganzoo.data.transforms import to_tensor
from ganzoo.errors import ParameterError
from ganzoo.parameters import check_positive

__all__ = ["TorchvisionDataset"]

# name: (native size, channels, where torchvision keeps the files under root)
_SETS: dict[str, tuple[int, int, str]] = {
    "MNIST": (28, 1, "MNIST/raw/"),
    "FashionMNIST": (28, 1, "FashionMNIST/raw/"),
    "CIFAR10": (32, 3, "cifar-10-batches-py/"),
}


class TorchvisionDataset(GanDataset):
    """MNIST, Fashion-MNIST or CIFAR-10 through torchvision, scaled to ``[-1, 1]``.

    Items are ``{"image", "label"}``: ``(C, image_size, image_size)`` in ``[-1, 1]`` (1 channel for
    MNIST and Fashion-MNIST, 3 for CIFAR-10) and the class 0-9.

    The files are read from ``root`` in torchvision's layout (``root/MNIST/raw/``,
    ``root/FashionMNIST/raw/``, ``root/cifar-10-batches-py/``). They are downloaded only with
    ``download=True``; otherwise missing files are an error.

    Args:
        dataset: Which data set (``data=torchvision data.dataset=CIFAR10``).
        root: The folder that holds (or will receive) the files.
        split: ``"train"`` (60,000 images for the MNISTs, 50,000 for CIFAR-10) or ``"test"``
            (10,000).
        image_size: Side of the images; ``None`` keeps the native size (28 for the MNISTs, 32 for
            CIFAR-10), any other value resizes with bicubic interpolation.
        download: Download the files into ``root`` if they are missing.
    """

    keys = ("image", "label")
    num_classes = 10

    def __init__(
        self,
        *,
        dataset: Literal["MNIST", "FashionMNIST", "CIFAR10"] = "MNIST",
        root: str = "data",
        split: Literal["train", "test"] = "train",
        image_size: int | None = None,
        download: bool = False,
    ) -> None:
        if dataset not in _SETS:
            raise ParameterError(f"dataset={dataset!r}: expected one of {', '.join(map(repr, _SETS))}")
        if split not in ("train", "test"):
            raise ParameterError(f"split={split!r}: expected 'train' or 'test'")
        if image_size is not None:
            check_positive(image_size=image_size)
        native_size, channels, folder = _SETS[dataset]
        self.name = dataset
        self.root = Path(root)
        self.split = split
        self.image_size = native_size if image_size is None else image_size
        self.channels = self.source_channels = channels
        self._resize = self.image_size != native_size
        self._dataset = self._open(dataset, train=split == "train", download=download, folder=folder)

    def _open(self, name: str, *, train: bool, download: bool, folder: str) -> Any:
        # Imported here so that `import ganzoo.data` stays fast for the built-in sets.
        import torchvision.datasets

        factory = getattr(torchvision.datasets, name)
        location = self.root / folder
        try:
            return factory(root=str(self.root), train=train, download=download)
        except RuntimeError as error:
            if download:
                raise DataError(
                    f"could not download {name} into {self.root} ({error}); check the internet "
                    f"connection, or put the files in {location} by hand"
                ) from error
            if "not found" not in str(error).lower():
                raise DataError(
                    f"could not read {name} from {location} ({error}); delete the files and pass "
                    "data.download=true to fetch them again"
                ) from error
            raise DataError(
                f"{name} not found in {self.root} (torchvision looks in {location}); pass "
                f"data.download=true to download it there, or set data.root to the folder that "
                "holds it"
            ) from error
        except OSError as error:  # a network failure during download, or an unreadable file
            action = "download" if download else "read"
            raise DataError(
                f"could not {action} {name} in {self.root} ({error}); check the files in "
                f"{location}{' and the internet connection' if download else ''}"
            ) from error
        except (AssertionError, ValueError, EOFError) as error:  # files present but malformed
            raise DataError(
                f"the {name} files in {location} are damaged ({error}); delete them and pass "
                "data.download=true to fetch them again"
            ) from error

    def __len__(self) -> int:
        return len(self._dataset)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        index = check_index(index, len(self))
        image, label = self._dataset[index]
        if self._resize:
            image = image.resize((self.image_size, self.image_size), Image.Resampling.BICUBIC)
        return {"image": to_tensor(image), "label": torch.tensor(int(label), dtype=torch.int64)}
