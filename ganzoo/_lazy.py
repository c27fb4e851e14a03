"""Lazy package exports (PEP 562), so importing a package does not import torch before it is needed."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str], names: Iterable[str] | None = None
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Make a package's ``__getattr__`` and ``__dir__`` that import each export on first access.

    Args:
        package: The package's ``__name__`` (for error messages).
        exports: Exported name → the module that defines it.
        names: What ``dir()`` lists (default: the exports).

    Returns:
        ``(__getattr__, __dir__)`` to assign at the package's top level.
    """
    listed = sorted(names if names is not None else exports)

    def __getattr__(name: str) -> Any:
        if name in exports:
            return getattr(importlib.import_module(exports[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return listed

    return __getattr__, __dir__
