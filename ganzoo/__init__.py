"""ganzoo: a pluggable zoo of GAN parts with a registry.

The public entry points::

    import ganzoo

    ganzoo.list_parts("generator")            # registered parts, filtered by kind and glob
    ganzoo.get_part("generator", "unet")      # a part: factory, summary, parameters, plugin
    ganzoo.build_part("generator", "unet", ngf=32)  # checked parameters, then the factory

Plugins implement the hooks in :mod:`ganzoo.hookspecs`, marked with :data:`ganzoo.hookimpl`.
Importing ganzoo loads no plugin and no network code: the registry fills on first use.
"""

from __future__ import annotations

from importlib import metadata
from typing import TYPE_CHECKING, Any

from ganzoo.errors import GanzooError
from ganzoo.hookspecs import hookimpl

if TYPE_CHECKING:
    from ganzoo.registry import Part

try:
    __version__ = metadata.version("ganzoo")
except metadata.PackageNotFoundError:  # a source tree that is not installed
    __version__ = "0+unknown"

__all__ = ["GanzooError", "__version__", "build_part", "get_part", "hookimpl", "list_parts"]


def get_part(kind: str, name: str) -> Part:
    """Look up a registered part; unknown names raise with the closest ones suggested."""
    from ganzoo.plugins import get_registry

    return get_registry().get(kind, name)


def list_parts(kind: str | None = None, pattern: str = "*") -> list[Part]:
    """List registered parts of one kind (or all), filtered by a glob pattern on the name."""
    from ganzoo.plugins import get_registry

    return get_registry().list(kind, pattern)


def build_part(kind: str, name: str, **params: Any) -> Any:
    """Build a registered part after checking ``params`` against its signature."""
    return get_part(kind, name).build(**params)
