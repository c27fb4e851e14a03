"""Parts that are data files inside an installed package, named ``"package:path/file.yaml"``.

A recipe is data, not code, so a plugin ships it as a YAML file of its package and registers it by
name, as the built-in zoo registers its own::

    register("recipe", "mine", "my_plugin:recipes/mine.yaml")

The part's factory is then a :class:`PackagedYaml`: building the part reads the file (bounded, as
:mod:`ganzoo.safe_yaml` reads every file) and returns the mapping it holds. Its summary is the
file's ``summary`` key and its documentation the ``summary``, ``paper`` and ``defaults`` keys, read
without importing anything but the package (keep its ``__init__`` light), so ``ganzoo list`` and
``ganzoo recipes`` stay quick. Any kind may be given this way; what a kind's parts must build is
checked as for any other factory.
"""

from __future__ import annotations

from functools import cached_property
from importlib import resources
from typing import Any

from ganzoo.errors import PluginError
from ganzoo.safe_yaml import parse_yaml

__all__ = ["YAML_SUFFIXES", "PackagedYaml", "is_packaged_file"]

#: The endings that make a ``"package:path"`` factory a data file rather than ``module:attribute``.
YAML_SUFFIXES = (".yaml", ".yml")
#: The keys whose text documents a packaged recipe, in the order they are shown.
DOCUMENTING_KEYS = ("summary", "paper", "defaults")


def is_packaged_file(target: str) -> bool:
    """Whether a factory string names a YAML file of a package (``"pkg:recipes/x.yaml"``)."""
    return target.partition(":")[2].endswith(YAML_SUFFIXES)


class PackagedYaml:
    """A YAML file inside an installed package; calling it reads the file.

    Args:
        target: ``"package:path/inside/it.yaml"``.
    """

    def __init__(self, target: str) -> None:
        self.target = target
        self.package, _, self.path = target.partition(":")

    def __repr__(self) -> str:
        return f"PackagedYaml({self.target!r})"

    @property
    def display_path(self) -> str:
        """Where the file lies, as a path: ``ganzoo/recipes/dcgan.yaml``."""
        return f"{self.package.replace('.', '/')}/{self.path}"

    def text(self) -> str:
        """The file's text.

        Raises:
            PluginError: If the package cannot be imported or the file cannot be read.
        """
        try:
            return resources.files(self.package).joinpath(self.path).read_text(encoding="utf-8")
        except (ImportError, OSError, UnicodeDecodeError) as error:
            raise PluginError(f"{self.target} cannot be read: {type(error).__name__}: {error}") from error

    def __call__(self) -> Any:
        """Read and parse the file; a new copy at each call.

        Raises:
            PluginError: If it cannot be read.
            ConfigError: If it is not valid, bounded YAML.
        """
        return parse_yaml(self.text(), self.target)

    @cached_property
    def doc(self) -> str:
        """The file's ``summary``, ``paper`` and ``defaults``, one paragraph each (empty if unreadable)."""
        try:
            data = self()
        except (PluginError, ValueError):
            return ""
        if not isinstance(data, dict):
            return ""
        return "\n\n".join(" ".join(str(data[key]).split()) for key in DOCUMENTING_KEYS if data.get(key))
