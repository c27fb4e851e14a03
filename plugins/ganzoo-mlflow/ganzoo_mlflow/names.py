"""What MLflow accepts: metric and parameter names, flattened settings, value lengths, batch sizes.

MLflow names may hold letters, digits, ``_``, ``-``, ``.``, spaces and ``/`` (and ``:``, except on
Windows), and must not read as a path that resolves elsewhere (``a//b``, ``../a``, ``/a``). ganzoo's
keys (``D/adversarial``, ``lr/G``, ``augment/p``, ``eval/fid``) already fit; any other character
becomes ``_`` and empty, ``.`` and ``..`` path segments are dropped or replaced, so that every key
maps to one valid name. The limits are MLflow's own (``mlflow.utils.validation``), copied here so
that this module imports nothing heavy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

#: The longest parameter value MLflow stores; longer ones are cut to this length, ending in ``…``.
MAX_PARAM_VALUE = 6000
#: The longest tag value MLflow stores.
MAX_TAG_VALUE = 8000
#: The longest metric, parameter or tag name.
MAX_NAME = 250
#: How many parameters or tags one ``log_batch`` call may carry.
MAX_PARAMS_PER_BATCH = 100
#: How many metrics one ``log_batch`` call may carry.
MAX_METRICS_PER_BATCH = 1000

_NOT_ALLOWED = re.compile(r"[^\w./\- ]")  # no colon: it is refused on Windows stores

T = TypeVar("T")


def mlflow_name(key: str) -> str:
    """The MLflow metric, parameter or tag name for a ganzoo key.

    Examples:
        ``D/adversarial`` stays; ``G/l1(x)`` becomes ``G/l1_x_``; ``/a//b/../c`` becomes ``a/b/_/c``.
    """
    segments = [segment for segment in _NOT_ALLOWED.sub("_", str(key)).split("/") if segment]
    name = "/".join("_" if segment in (".", "..") else segment for segment in segments) or "_"
    return name[:MAX_NAME]


def clip(text: str, limit: int) -> str:
    """``text``, cut to ``limit`` characters with a final ``…`` when it is longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def param_value(value: Any) -> str:
    """A setting as an MLflow parameter value: lists and tables as JSON, anything else as ``str``."""
    text = json.dumps(value, default=str) if isinstance(value, (list, tuple, dict)) else str(value)
    return clip(text, MAX_PARAM_VALUE)


def flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """The settings of a configuration as parameters with dotted names (``loss.r1.weight``).

    Tables are followed down to their values; an empty table is kept as ``{}``, and a list (of
    scalars or tables) is one JSON value.
    """
    flat: dict[str, str] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{name}."))
        else:
            flat[mlflow_name(name)] = param_value(value)
    return flat


def batches(items: Sequence[T], size: int) -> Iterator[list[T]]:
    """``items`` in consecutive lists of at most ``size``."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def changed(before: Mapping[str, str], after: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """The parameters of ``after`` whose value differs from ``before``'s: ``{name: (old, new)}``."""
    return {key: (before[key], value) for key, value in after.items() if key in before and before[key] != value}
