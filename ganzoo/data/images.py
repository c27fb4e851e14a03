"""Image files: which files are images, where they are, and how each is decoded into 8-bit grey or RGB.

Every place that reads an image file (the folder data sets, ``ganzoo sample input=DIR``) goes through
:func:`load_image`, so that every file means the same thing everywhere. Pillow opens images in many
*modes*; each is brought to the ``[0, 255]`` range of an 8-bit ``L`` or ``RGB`` image by what its
values mean, not by clipping:

==========================  ==================================================================
mode                        decoded as
==========================  ==================================================================
``L``, ``RGB``              as they are
``1``                       black and white: 0 and 255
``I;16``, ``I;16B``, ...    16-bit grey: 0–65535 scaled to 0–255 (divided by 257)
``I``                       32-bit integers, read as 16-bit grey when every value lies in
                            0–65535 (older Pillows open 16-bit PNGs so); refused otherwise
``F``                       32-bit floats, read as grey in ``[0, 1]`` when every value is
                            finite and lies there; refused otherwise, as the range is unknown
``RGBA``, ``LA``, ``PA``,   composited onto black, i.e. each colour weighted by its opacity, so
``RGBa``, ``La``            the hidden colour of transparent pixels never shows
``P``                       the palette's colours, its transparent entries composited onto black
``CMYK``, ``YCbCr``,        converted to RGB by Pillow
``LAB``, ``HSV``, ``RGBX``
==========================  ==================================================================

A greyscale or colour-keyed file with a transparent value (a PNG ``tRNS`` chunk) is composited
too. RGB is made grey with the ITU-R 601 luma weights; grey is made RGB by repeating it. Animated
files give their first frame. A file that cannot be decoded, or whose mode is refused, raises
:class:`~ganzoo.data.base.DataError` naming the file (and the mode).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ganzoo.data.base import DataError

__all__ = [
    "EXTENSIONS_TEXT",
    "IMAGE_EXTENSIONS",
    "decode",
    "find_images",
    "load_image",
    "read_header",
    "read_size",
    "require_folder",
    "require_images",
    "sub_folders",
    "to_channels",
]

#: File name endings read as images (compared without regard to case).
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
#: :data:`IMAGE_EXTENSIONS` as messages list them.
EXTENSIONS_TEXT = "png, jpg, jpeg, bmp or webp"

_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N")
_ALPHA = ("RGBA", "RGBa", "LA", "La", "PA")
#: What transparent pixels become: black, i.e. colours weighted by their opacity.
_BACKGROUND = (0, 0, 0, 255)
# Errors Pillow raises for a file it cannot read.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, Image.DecompressionBombError)


def _is_hidden(path: Path) -> bool:
    return path.name.startswith(".")


def _is_image(path: Path) -> bool:
    return path.is_file() and not _is_hidden(path) and path.suffix.lower() in IMAGE_EXTENSIONS


def find_images(folder: str | Path, *, recursive: bool = True) -> list[Path]:
    """List the image files in a folder, sorted by path; hidden files and folders are skipped.

    Args:
        folder: The folder to search.
        recursive: Also search sub-folders (except hidden ones).

    Returns:
        The image files; an empty list if there are none or the folder does not exist.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    if not recursive:
        return sorted(p for p in folder.iterdir() if _is_image(p))
    found = []
    for path in folder.rglob("*"):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts[:-1]):
            continue
        if _is_image(path):
            found.append(path)
    return sorted(found)


def sub_folders(folder: Path) -> list[Path]:
    """The folder's sub-folders, sorted by name, hidden ones skipped."""
    return sorted(p for p in folder.iterdir() if p.is_dir() and not _is_hidden(p))


def require_folder(folder: Path, layout: str) -> None:
    """Check that ``folder`` exists and is a folder.

    Raises:
        DataError: Naming the folder and the ``layout`` expected.
    """
    if not folder.exists():
        raise DataError(f"folder {folder} does not exist; expected {layout}")
    if not folder.is_dir():
        raise DataError(f"{folder} is not a folder; expected {layout}")


def require_images(folder: Path, layout: str, *, recursive: bool = True) -> list[Path]:
    """The images of a folder that must hold some (see :func:`find_images`).

    Raises:
        DataError: If the folder is missing or holds no image, naming it and the ``layout`` expected.
    """
    require_folder(folder, layout)
    images = find_images(folder, recursive=recursive)
    if not images:
        raise DataError(f"folder {folder} holds no {EXTENSIONS_TEXT} images; expected {layout}")
    return images


def _cannot_decode(path: str | Path, error: Exception) -> DataError:
    return DataError(f"{path}: cannot decode the image ({error}); replace it with a valid image file or delete it")


def _scaled(values: np.ndarray, top: float) -> Image.Image:
    """An 8-bit grey image from values in ``[0, top]``, scaled (and rounded) rather than clipped."""
    return Image.fromarray(np.rint(values.astype(np.float32) * np.float32(255.0 / top)).astype(np.uint8))


def _refuse(path: str | Path, mode: str, values: np.ndarray, understood: str) -> DataError:
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    return DataError(
        f"{path}: a mode {mode} image with values from {low:g} to {high:g}; only {understood} can be read as "
        "brightness. Save it as an 8- or 16-bit PNG"
    )


def decode(image: Image.Image, channels: int = 3, *, path: str | Path = "image") -> Image.Image:
    """Bring an opened image of any mode to 8-bit greyscale (``L``) or ``RGB``, as the table above says.

    Args:
        image: An image as Pillow opened it.
        channels: 1 for greyscale, 3 for RGB.
        path: The file, for messages.

    Returns:
        A new, fully decoded ``L`` or ``RGB`` image.

    Raises:
        DataError: For a mode whose values have no known brightness range, or one Pillow cannot convert.
    """
    mode = image.mode
    if mode in _SIXTEEN_BIT:
        picture = _scaled(np.asarray(image), 65535)
    elif mode == "I":
        values = np.asarray(image)
        if values.size and (values.min() < 0 or values.max() > 65535):
            raise _refuse(path, mode, values, "values from 0 to 65535 (16-bit grey)")
        picture = _scaled(values, 65535)
    elif mode == "F":
        values = np.asarray(image)
        if values.size and not (np.isfinite(values).all() and values.min() >= 0.0 and values.max() <= 1.0):
            raise _refuse(path, mode, values, "finite values from 0 to 1")
        picture = _scaled(values, 1.0)
    elif mode in _ALPHA or mode == "P" or "transparency" in image.info:
        try:
            rgba = (image.convert("LA") if mode == "La" else image).convert("RGBA")  # Pillow has no La → RGBA
        except ValueError as error:
            raise DataError(f"{path}: cannot convert a mode {mode} image to RGBA ({error}); save it as PNG") from error
        picture = Image.alpha_composite(Image.new("RGBA", image.size, _BACKGROUND), rgba).convert("RGB")
    elif mode in ("1", "L"):
        picture = image.convert("L")
    else:
        try:
            picture = image.convert("RGB")
        except ValueError as error:
            raise DataError(f"{path}: cannot convert a mode {mode} image to RGB ({error}); save it as PNG") from error
    return to_channels(picture, channels)


def to_channels(image: Image.Image, channels: int) -> Image.Image:
    """Convert a decoded ``L`` or ``RGB`` image to 1 (``L``) or 3 (``RGB``) channels."""
    mode = "L" if channels == 1 else "RGB"
    return image if image.mode == mode else image.convert(mode)


def load_image(path: str | Path, channels: int = 3) -> Image.Image:
    """Decode an image file completely into 8-bit greyscale (``L``) or ``RGB`` (see :func:`decode`).

    Every pixel is decoded here, so a truncated file fails when it is read and not inside a network.

    Args:
        path: The image file.
        channels: 1 for greyscale, 3 for RGB.

    Returns:
        The decoded image.

    Raises:
        DataError: If the file cannot be read or decoded, or its mode is refused; the message names
            the file.
    """
    try:
        with Image.open(path) as image:
            image.load()
            return decode(image, channels, path=path)
    except DataError:
        raise
    except _DECODE_ERRORS as error:
        raise _cannot_decode(path, error) from error


def read_size(path: str | Path) -> tuple[int, int]:
    """An image file's ``(width, height)``, read from its header only.

    Raises:
        DataError: If the file is not an image Pillow can open.
    """
    return read_header(path)[0]


def read_header(path: str | Path) -> tuple[tuple[int, int], str]:
    """An image file's ``(width, height)`` and Pillow mode, read from its header only.

    Raises:
        DataError: If the file is not an image Pillow can open.
    """
    try:
        with Image.open(path) as image:
            return image.size, image.mode
    except _DECODE_ERRORS as error:
        raise _cannot_decode(path, error) from error
