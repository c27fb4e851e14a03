"""Sets of images from anywhere, to measure: a folder of files, an array file, or a data set part.

``ganzoo eval fake=… real=…`` reads each side with :func:`open_image_set`:

- a folder: every image file in it and its sub-folders (hidden ones skipped), decoded by
  :mod:`ganzoo.data.images`; all of one size, and all greyscale or all colour;
- an ``.npz`` file (the array under ``arr_0``, or its only array) or an ``.npy`` file: ``uint8`` pixels
  ``(N, H, W, C)`` with 1 or 3 channels, or ``(N, H, W)`` grey, as ``ganzoo sample out=FILE.npz`` and
  the ADM and StyleGAN suites write them; read a few images at a time, never whole;
- a data set part by name, with its parameters as words (``real=digits real.split=test``,
  ``real=image_folder real.root=photos real.image_size=64``): the ``image`` of each item.

Every check (a missing or empty folder, images of several sizes or of both greyscale and colour, an
array of the wrong type or shape) is made before any feature is computed, and named in one line.
"""

from __future__ import annotations

import zipfile
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
import torch

from ganzoo.errors import ConfigError, did_you_mean

__all__ = ["ArrayImages", "DatasetImages", "FolderImages", "ImageSet", "open_image_set"]

#: Images read at a time.
BATCH_SIZE = 250
#: Pillow modes that hold grey values (``P`` palettes may be either and go with any).
_GREY_MODES = frozenset({"1", "L", "LA", "La", "I", "F", "I;16", "I;16L", "I;16B", "I;16N"})


class ImageSet(ABC):
    """A set of images to measure.

    Attributes:
        description: How reports name the set.
        count: How many images it holds.
        channels: 1 for greyscale, 3 for colour.
        size: ``(height, width)`` of every image.
    """

    description: str
    count: int
    channels: int
    size: tuple[int, int]

    @abstractmethod
    def batches(self, indices: Sequence[int], channels: int) -> Iterator[torch.Tensor]:
        """The images of ``indices`` (ascending), a batch at a time, as ``(N, channels, H, W)`` floats in ``[-1, 1]``."""

    def summary(self) -> str:
        """``32×32 grey`` or ``64×64 colour``."""
        return f"{self.size[1]}×{self.size[0]} {'grey' if self.channels == 1 else 'colour'}"


def _with_channels(images: torch.Tensor, channels: int) -> torch.Tensor:
    if images.shape[1] == channels:
        return images
    if channels == 3:
        return images.expand(-1, 3, -1, -1)
    return images.mean(dim=1, keepdim=True)


def _from_pixels(pixels: np.ndarray, channels: int) -> torch.Tensor:
    """``uint8`` ``(N, H, W, C)`` pixels as floats ``(N, channels, H, W)`` in ``[-1, 1]``."""
    tensor = torch.from_numpy(np.ascontiguousarray(pixels)).permute(0, 3, 1, 2).float() / 127.5 - 1.0
    return _with_channels(tensor, channels)


class FolderImages(ImageSet):
    """The image files of a folder and its sub-folders (see the module notes)."""

    def __init__(self, folder: Path) -> None:
        from ganzoo.data.images import EXTENSIONS_TEXT, find_images, read_header

        if not folder.is_dir():
            raise ConfigError(f"folder '{folder}' does not exist")
        self.files = find_images(folder)
        if not self.files:
            raise ConfigError(f"folder '{folder}' holds no images ({EXTENSIONS_TEXT}, in it or its sub-folders)")
        sizes: dict[tuple[int, int], Path] = {}
        kinds: dict[str, tuple[Path, str]] = {}
        for file in self.files:  # headers only: quick even for 50,000 files
            size, mode = read_header(file)  # DataError names a file that is no image
            sizes.setdefault(size, file)
            if mode != "P":
                kinds.setdefault("grey" if mode in _GREY_MODES else "colour", (file, mode))
            if len(sizes) > 1:
                (first, a), (second, b) = list(sizes.items())[:2]
                raise ConfigError(
                    f"folder '{folder}' holds images of different sizes ('{a}' is {first[0]}x{first[1]}, '{b}' is "
                    f"{second[0]}x{second[1]}); measured sets hold images of one size: resize them to one first"
                )
            if len(kinds) > 1:
                (a, mode_a), (b, mode_b) = kinds["grey"], kinds["colour"]
                raise ConfigError(
                    f"folder '{folder}' holds both greyscale and colour images ('{a}' is {mode_a}, '{b}' is {mode_b}); "
                    "convert them to one mode first"
                )
        width, height = next(iter(sizes))
        self.size = (height, width)
        self.channels = 1 if "grey" in kinds else 3
        self.count = len(self.files)
        self.description = f"folder '{folder}'"

    def batches(self, indices: Sequence[int], channels: int) -> Iterator[torch.Tensor]:
        from ganzoo.data.images import load_image

        for start in range(0, len(indices), BATCH_SIZE):
            images = [np.asarray(load_image(self.files[i], self.channels)) for i in indices[start : start + BATCH_SIZE]]
            pixels = np.stack(images)
            yield _from_pixels(pixels[..., None] if pixels.ndim == 3 else pixels, channels)


class ArrayImages(ImageSet):
    """``uint8`` pixels in an ``.npy`` file or under a key of an ``.npz`` file (see the module notes)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.member: str | None = None
        try:
            if path.suffix.lower() == ".npz":
                with zipfile.ZipFile(path) as archive:
                    arrays = [name for name in archive.namelist() if name.endswith(".npy")]
                    if not arrays:
                        raise ConfigError(f"'{path}' holds no arrays; expected uint8 pixels (N, H, W, C) under arr_0")
                    self.member = "arr_0.npy" if "arr_0.npy" in arrays else arrays[0] if len(arrays) == 1 else None
                    if self.member is None:
                        keys = ", ".join(name[:-4] for name in arrays)
                        raise ConfigError(f"'{path}' holds arrays {keys} but no arr_0; name the images arr_0 (numpy.savez(path, images))")
                    with archive.open(self.member) as stream:
                        shape, dtype, self._offset = _read_header(stream)
            else:
                with open(path, "rb") as stream:
                    shape, dtype, self._offset = _read_header(stream)
        except (OSError, ValueError, zipfile.BadZipFile) as error:
            raise ConfigError(f"cannot read '{path}' as a numpy array file ({error})") from error
        where = f"'{path}'" + (f" ({self.member[:-4]})" if self.member else "")
        if dtype != np.uint8 or len(shape) not in (3, 4) or (len(shape) == 4 and shape[3] not in (1, 3)) or 0 in shape:
            raise ConfigError(
                f"{where} holds an array of shape {tuple(shape)} and type {dtype}; expected uint8 pixels (N, H, W, C) with "
                "C = 1 or 3, or (N, H, W), as ganzoo sample out=FILE.npz writes them"
            )
        self.shape = (*shape, 1) if len(shape) == 3 else tuple(shape)
        self.count, self.size, self.channels = int(self.shape[0]), (int(self.shape[1]), int(self.shape[2])), int(self.shape[3])
        self.description = f"array {where}"

    def _open(self) -> tuple[IO[bytes], zipfile.ZipFile | None]:
        if self.member is None:
            return open(self.path, "rb"), None
        archive = zipfile.ZipFile(self.path)
        return archive.open(self.member), archive

    def batches(self, indices: Sequence[int], channels: int) -> Iterator[torch.Tensor]:
        image_bytes = int(np.prod(self.shape[1:]))
        stream, archive = self._open()
        try:
            position = 0
            for start in range(0, len(indices), BATCH_SIZE):
                images = []
                for index in indices[start : start + BATCH_SIZE]:
                    target = self._offset + index * image_bytes
                    if target != position:
                        stream.seek(target)  # forward only: the indices ascend
                    images.append(np.frombuffer(stream.read(image_bytes), dtype=np.uint8))
                    position = target + image_bytes
                yield _from_pixels(np.stack(images).reshape(-1, *self.shape[1:]), channels)
        finally:
            stream.close()
            if archive is not None:
                archive.close()


def _read_header(stream: IO[bytes]) -> tuple[tuple[int, ...], np.dtype, int]:
    version = np.lib.format.read_magic(stream)
    reader = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}.get(version)
    if reader is None:
        raise ValueError(f"unsupported .npy format version {version}")
    shape, fortran, dtype = reader(stream)
    if fortran:
        raise ValueError("the array is stored in Fortran order; save it in C order")
    return tuple(shape), dtype, stream.tell()


class DatasetImages(ImageSet):
    """The ``image`` of every item of a data set part."""

    def __init__(self, dataset: Any, name: str, params: Mapping[str, Any]) -> None:
        keys = getattr(dataset, "keys", ("image",))
        if "image" not in keys:
            raise ConfigError(f"data set '{name}' has no 'image' tensor (it has {', '.join(keys)}); measure a data set of images")
        if len(dataset) == 0:
            raise ConfigError(f"data set '{name}' is empty")
        first = dataset[0]["image"]
        self.dataset = dataset
        self.count, self.channels, self.size = len(dataset), int(first.shape[0]), (int(first.shape[1]), int(first.shape[2]))
        words = " ".join(f"{key}={value}" for key, value in params.items())
        self.description = f"data set '{name}'" + (f" ({words})" if words else "")

    def batches(self, indices: Sequence[int], channels: int) -> Iterator[torch.Tensor]:
        for start in range(0, len(indices), BATCH_SIZE):
            images = torch.stack([self.dataset[i]["image"] for i in indices[start : start + BATCH_SIZE]])
            yield _with_channels(images.float(), channels)


def open_image_set(spec: str, params: Mapping[str, Any], *, side: str, registry: Any = None) -> ImageSet:
    """The set ``fake=`` or ``real=`` names: a folder, an array file, or a data set part with ``params``.

    Args:
        spec: The word's value.
        params: The words ``SIDE.PARAM=VALUE``, as a data set's parameters.
        side: ``"fake"`` or ``"real"``, for messages.
        registry: Where data set names are looked up (default: the process-wide registry).

    Raises:
        ConfigError: For a path that does not exist or cannot be read as images, an unknown data set,
            or parameters given to a folder or file; see the module notes for the checks.
    """
    path = Path(spec)
    if path.exists():
        if params:
            raise ConfigError(f"{side}.{next(iter(params))}= sets a data set's parameter, but {side}={spec} is a {'folder' if path.is_dir() else 'file'}")
        if path.is_dir():
            return FolderImages(path)
        if path.suffix.lower() in (".npz", ".npy"):
            return ArrayImages(path)
        raise ConfigError(f"{side}={spec} is a file, but not an .npz or .npy array; give a folder of images, an array file or a data set")
    if registry is None:
        from ganzoo.plugins import get_registry

        registry = get_registry()
    datasets = registry.names("dataset")
    if spec not in datasets:
        looks_like_path = "/" in spec or "\\" in spec or bool(path.suffix)
        raise ConfigError(
            f"{side}={spec}: {'no such folder or file' if looks_like_path else 'no folder, file or data set of that name'}"
            f"{'' if looks_like_path else did_you_mean(spec, datasets)}; give a folder of images, an .npz or .npy array, "
            f"or a data set ({side}=digits, {side}=image_folder {side}.root=DIR)"
        )
    part = registry.get("dataset", spec)
    return DatasetImages(part.build(**dict(params)), part.name, params)
