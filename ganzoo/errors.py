"""Errors ganzoo raises for bad input.

Every error a user can cause derives from :class:`GanzooError`. The CLI prints its message (never a
traceback) and exits with status 2, so each message names the problem and the way to fix it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class GanzooError(Exception):
    """Base class of the errors caused by input: names, parameters, configs, data, checkpoints."""


class UnknownPartError(GanzooError, KeyError):
    """A part name (or kind) that no plugin registered."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DuplicatePartError(GanzooError):
    """Two plugins registered the same kind and name."""


class ParameterError(GanzooError, ValueError):
    """Unknown, missing or ill-typed parameters for a part."""


class IncompatiblePartsError(GanzooError):
    """Parts that cannot work together, e.g. a generator whose output a discriminator cannot take."""


class PartContractError(IncompatiblePartsError):
    """A part whose factory built something other than what its kind needs (see :mod:`ganzoo.contracts`)."""


class ConfigError(GanzooError, ValueError):
    """A command line or configuration file that cannot be understood."""


class MeasurementError(GanzooError):
    """A measurement cannot be made from what it was given, e.g. generated images that are not finite."""


class PluginError(GanzooError):
    """A plugin that failed to load or to register its parts."""


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return a ``"; did you mean 'x'?"`` suffix for the closest candidates, or ``""`` if none is close.

    Args:
        name: The name that was not found.
        candidates: The names that exist.

    Returns:
        A phrase to append to an error message.

    Example:
        >>> did_you_mean("unte", ["unet", "resnet", "mlp"])
        "; did you mean 'unet'?"
    """
    matches = difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.5)
    if not matches:
        return ""
    return "; did you mean " + " or ".join(f"'{match}'" for match in matches) + "?"
