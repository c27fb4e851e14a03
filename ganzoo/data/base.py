"""What the built-in data sets share: the :class:`DataError` they raise and small checks and helpers.

The data set contract, :class:`~ganzoo.contracts.GanDataset` and its item vocabulary
:data:`~ganzoo.contracts.ITEM_KEYS`, is defined in :mod:`ganzoo.contracts.dataset`; both names are
also importable from here, where they used to live, so that existing plugins keep working.
"""

from __future__ import annotations

import torch

from ganzoo.contracts.dataset import ITEM_KEYS, GanDataset  # noqa: F401  (re-exported for existing plugins)
from ganzoo.errors import GanzooError, ParameterError

__all__ = ["DataError"]


class DataError(GanzooError, ValueError):
    """Data that cannot be read: a missing or empty folder, a wrong layout, a corrupt file.

    The message names the file or folder at fault and says how to fix it.
    """


def check_index(index: int, length: int) -> int:
    """Return ``index`` as a non-negative position, allowing Python's negative indices.

    Raises:
        IndexError: If the index is out of range (the ``for`` protocol relies on this type).
    """
    position = index + length if index < 0 else index
    if not 0 <= position < length:
        raise IndexError(f"index {index} is out of range for a data set of {length} items")
    return position


def check_channels(name: str, value: int) -> None:
    """Refuse a channel count other than 1 (greyscale) or 3 (RGB)."""
    if value not in (1, 3):
        raise ParameterError(f"{name}={value}: expected 1 (greyscale) or 3 (RGB)")


def check_fraction(name: str, value: float) -> None:
    """Refuse a fraction outside ``(0, 1]``."""
    if not 0.0 < value <= 1.0:
        raise ParameterError(f"{name}={value}: expected a fraction in (0, 1]")


def index_generator(seed: int, index: int) -> torch.Generator:
    """A random generator that depends only on ``seed`` and ``index``.

    Items drawn with it are the same in every epoch, in every process and in every ``DataLoader``
    worker, whatever order the items are read in.
    """
    # A large odd multiplier keeps (seed, index) pairs from colliding for any realistic data set size.
    return torch.Generator().manual_seed((seed * 2_654_435_761 + index) % 2**63)
