"""Where generated images go: a grid, one file per image in a folder, or one array file of 8-bit pixels.

The form follows the name given to ``out=`` (:func:`output_form`):

=================================  ==================================================================
``out=``                           writes
=================================  ==================================================================
``grid.png``, ``grid.jpg``         one grid of every image (JPEG at quality 95)
``samples/`` (a trailing slash),   one PNG per image, ``000000.png``, ``000001.png``, … (or the input's
an existing folder, or a name      name, when translating a folder): what clean-fid, torch-fidelity
without a suffix                   and pytorch-fid read
``samples.npz``                    a ``uint8`` array ``(N, H, W, C)`` under ``arr_0``, as the ADM and
                                   StyleGAN evaluation suites read it, and the class of each image
                                   under ``labels`` for class-conditional generators
``samples.npy``                    the bare ``uint8`` array ``(N, H, W, C)``
=================================  ==================================================================

Any other suffix is refused before anything is generated. Every writer takes the images a batch at a
time and turns them into 8-bit pixels at once, so a large ``n`` holds one batch of floats: array files
are streamed into their file (a temporary file beside it, renamed over it when complete, so a failed
run leaves no half-written array), folder files are written one by one.
"""

from __future__ import annotations

import contextlib
import io
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Literal

import numpy as np
import torch

from ganzoo.atomic import atomic_path, atomic_write
from ganzoo.errors import ConfigError
from ganzoo.output_paths import check_new_output
from ganzoo.training.outputs import GridCanvas, check_grid, to_display

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self from Python 3.11

__all__ = ["ARRAY_SUFFIXES", "GRID_SUFFIXES", "ImageWriter", "OutputForm", "open_writer", "output_form", "to_pixels"]

#: File name endings written as one grid.
GRID_SUFFIXES = (".png", ".jpg", ".jpeg")
#: File name endings written as one ``uint8`` array.
ARRAY_SUFFIXES = (".npz", ".npy")
#: The quality of JPEG grids (Pillow's scale, 1 to 95).
JPEG_QUALITY = 95

Kind = Literal["grid", "folder", "npz", "npy"]


@dataclass(frozen=True)
class OutputForm:
    """What ``out=`` names: the form of the output and its path."""

    kind: Kind
    path: Path


def output_form(out: str | Path) -> OutputForm:
    """The form of output the name ``out`` asks for (see the module notes).

    Raises:
        ConfigError: For a file suffix that is none of the forms, before anything is generated.
    """
    text = str(out)
    path = Path(text)
    if text.endswith(("/", "\\")):
        return OutputForm("folder", path)
    suffix = path.suffix.lower()
    if suffix in GRID_SUFFIXES:
        return OutputForm("grid", path)
    if suffix in ARRAY_SUFFIXES:
        return OutputForm("npz" if suffix == ".npz" else "npy", path)
    if path.is_dir() or not suffix:
        return OutputForm("folder", path)
    check_new_output(path, overwrite=True)  # a path inside a run is refused as such, whatever its suffix
    raise ConfigError(
        f"out={text}: '{suffix}' is not an output form; write a grid (.png, .jpg), an array of 8-bit pixels "
        f"(.npz, .npy) or one image per sample into a folder (out={path.with_suffix('')}/)"
    )


def to_pixels(images: torch.Tensor) -> np.ndarray:
    """Images ``(N, C, H, W)`` in ``[-1, 1]`` as ``uint8`` pixels ``(N, H, W, C)``, rounded as PNG files are."""
    pixels = (to_display(images, images.shape[1]).clamp(0, 1) * 255).round().to(torch.uint8)
    return pixels.permute(0, 2, 3, 1).numpy()


class ImageWriter(ABC):
    """Takes generated images a batch at a time and writes them in one form.

    Use :func:`open_writer`; :meth:`check` runs before anything is generated, :meth:`add` for each batch
    in order, and leaving the ``with`` block completes the output (or, on an error, removes what an
    array file had written).

    Args:
        path: Where to write.
        count: How many images will be added.
        overwrite: Replace existing files (a run's files never are).
    """

    kind: Kind = "folder"

    def __init__(self, path: Path, count: int, *, overwrite: bool) -> None:
        self.path = Path(path)
        self.count = count
        self.overwrite = overwrite
        self.written = 0

    def check(self, names: Sequence[str] | None = None) -> None:
        """Refuse, before anything is generated, an output that would replace what it may not.

        Args:
            names: The file name (without suffix) of each image, for a folder; default: its index.
        """
        check_new_output(self.path, overwrite=self.overwrite, kind="file")

    def check_size(self, height: int, width: int) -> None:
        """Refuse, before anything is generated, images this form cannot hold (grids only)."""

    @abstractmethod
    def add(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> None:
        """Write the next batch: images ``(N, C, H, W)`` in ``[-1, 1]`` and, for conditional generators, their classes."""

    def finish(self) -> None:
        """Complete the output once every image was added."""

    def abort(self) -> None:
        """Give up after an error: remove any partly written file."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        if error is None:
            if self.written != self.count:
                self.abort()
                raise RuntimeError(f"{self.written} images were written where {self.count} were announced")
            self.finish()
        else:
            self.abort()


class GridWriter(ImageWriter):
    """One grid of every image, filled in 8-bit pixels (:class:`~ganzoo.training.outputs.GridCanvas`)."""

    kind: Kind = "grid"

    def __init__(self, path: Path, count: int, *, overwrite: bool, per_row: int | None = None) -> None:
        super().__init__(path, count, overwrite=overwrite)
        self.per_row = per_row
        self.canvas: GridCanvas | None = None

    def check_size(self, height: int, width: int) -> None:
        check_grid(self.count, height, width, per_row=self.per_row)

    def add(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> None:
        if self.canvas is None:
            self.canvas = GridCanvas(self.count, per_row=self.per_row)
        self.canvas.add(images)  # the float batch, exactly as the grid of earlier versions
        self.written += len(images)

    def finish(self) -> None:
        assert self.canvas is not None and self.canvas.pixels is not None
        if self.path.suffix.lower() == ".png":
            self.canvas.save(self.path)
            return
        from PIL import Image

        pixels = self.canvas.pixels
        buffer = io.BytesIO()
        Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels).save(buffer, format="JPEG", quality=JPEG_QUALITY)
        atomic_write(self.path, lambda stream: stream.write(buffer.getvalue()))


class PixelWriter(ImageWriter):
    """A writer that takes each batch as 8-bit pixels ``(N, H, W, C)`` (folders and arrays)."""

    def add(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> None:
        pixels = to_pixels(images)
        self._add(pixels, None if labels is None else labels.detach().cpu().numpy().astype(np.int64))
        self.written += len(pixels)

    @abstractmethod
    def _add(self, pixels: np.ndarray, labels: np.ndarray | None) -> None:
        """Write a batch of 8-bit pixels and their classes (or ``None``)."""


class FolderWriter(PixelWriter):
    """One PNG per image in a folder: ``000000.png`` … in order, or ``NAME.png`` for named inputs."""

    kind: Kind = "folder"
    names: list[str] | None = None

    def check(self, names: Sequence[str] | None = None) -> None:
        check_new_output(self.path, overwrite=self.overwrite, kind="folder")
        self.names = list(names) if names is not None else None
        if self.path.is_dir():  # a new folder holds nothing to replace
            for index in range(self.count):
                check_new_output(self.path / self._file_name(index), overwrite=self.overwrite, kind="file")

    def _file_name(self, index: int) -> str:
        if self.names is not None:
            return f"{self.names[index]}.png"
        return f"{index:0{max(6, len(str(self.count - 1)))}d}.png"

    def _add(self, pixels: np.ndarray, labels: np.ndarray | None) -> None:
        from ganzoo.training.outputs import save_png_array

        for offset, tile in enumerate(pixels):
            save_png_array(self.path / self._file_name(self.written + offset), tile)


class ArrayWriter(PixelWriter):
    """One ``uint8`` array ``(N, H, W, C)`` streamed into a ``.npy`` file or an ``.npz`` archive's ``arr_0``.

    The header is written when the first batch shows the images' shape; each batch's pixels follow it
    as they come. An ``.npz`` archive is stored uncompressed (as ``numpy.savez`` writes it), in the
    ZIP64 format so that it may exceed 4 GB, with the classes under ``labels`` when images have them.
    """

    def __init__(self, path: Path, count: int, *, overwrite: bool, kind: Kind) -> None:
        super().__init__(path, count, overwrite=overwrite)
        self.kind = kind
        self._files = contextlib.ExitStack()
        self._stream: IO[bytes] | None = None
        self._archive: zipfile.ZipFile | None = None
        self._labels: list[np.ndarray] = []

    def _open(self, shape: tuple[int, ...]) -> IO[bytes]:
        temporary = self._files.enter_context(atomic_path(self.path))
        header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.uint8)), "fortran_order": False, "shape": shape}
        if self.kind == "npz":
            self._archive = self._files.enter_context(zipfile.ZipFile(temporary, "w", zipfile.ZIP_STORED, allowZip64=True))
            stream = self._files.enter_context(self._archive.open("arr_0.npy", "w", force_zip64=True))
        else:
            stream = self._files.enter_context(open(temporary, "wb"))  # noqa: SIM115  (closed by the exit stack)
        np.lib.format.write_array_header_1_0(stream, header)
        return stream

    def _add(self, pixels: np.ndarray, labels: np.ndarray | None) -> None:
        if self._stream is None:
            self._stream = self._open((self.count, *pixels.shape[1:]))
        self._stream.write(np.ascontiguousarray(pixels).tobytes())
        if labels is not None:
            self._labels.append(labels)

    def finish(self) -> None:
        assert self._stream is not None
        self._stream.close()
        if self._archive is not None and self._labels:
            with self._archive.open("labels.npy", "w") as stream:
                np.lib.format.write_array(stream, np.concatenate(self._labels), allow_pickle=False)
        self._files.close()  # closes the archive, then renames the temporary file over the output

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self._files.__exit__(RuntimeError, RuntimeError("aborted"), None)  # removes the temporary file


def open_writer(form: OutputForm, count: int, *, overwrite: bool, per_row: int | None = None) -> ImageWriter:
    """The writer of ``count`` images in ``form`` (see :func:`output_form`); call its ``check`` first."""
    if form.kind == "grid":
        return GridWriter(form.path, count, overwrite=overwrite, per_row=per_row)
    if form.kind == "folder":
        return FolderWriter(form.path, count, overwrite=overwrite)
    return ArrayWriter(form.path, count, overwrite=overwrite, kind=form.kind)
