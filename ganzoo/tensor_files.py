"""Reading torch files safely: tensors and plain data only, never pickled code.

Checkpoints and feature-network weights are read with ``torch.load(weights_only=True)``, which refuses
a file carrying pickled objects instead of running them. :func:`read_tensor_file` adds messages that
name the file and say what is wrong with it, in the error class of the caller.
"""

from __future__ import annotations

import pickle
import zipfile
from importlib import resources
from pathlib import Path
from typing import Any

import torch

from ganzoo.errors import GanzooError


def read_tensor_file(path: Any, what: str, error: type[GanzooError]) -> Any:
    """Load a file written by ``torch.save`` holding tensors and plain data only.

    Args:
        path: A :class:`~pathlib.Path` or a package resource.
        what: How messages name the file, e.g. ``"checkpoint"``.
        error: The error class to raise.

    Raises:
        GanzooError: Of class ``error``, for a missing file, a file that carries code (refused, not
            run), and one that is truncated, corrupt or of another kind.
    """
    try:
        with resources.as_file(path) as file:
            return torch.load(file, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as cause:
        # torch's message is a page long; the line naming the refused object is the useful one.
        lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
        detail = next((line for line in lines if "Unsupported global" in line), None)
        if detail is None and isinstance(path, Path) and path.is_file() and not zipfile.is_zipfile(path):
            # Not torch's format at all (an image, a text file): nothing was refused, it is just not one.
            raise error(f"'{path}' is not a readable {what} (truncated, corrupt, or another kind of file)") from cause
        raise error(
            f"'{path}' holds objects other than tensors and plain data and was refused (loading it could run "
            f"code); only load {what}s written by ganzoo from sources you trust ({detail or (lines[0] if lines else '')})"
        ) from cause
    except FileNotFoundError as cause:
        raise error(f"{what} '{path}' does not exist") from cause
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError) as cause:
        raise error(f"'{path}' is not a readable {what} (truncated or corrupt?): {cause}") from cause
