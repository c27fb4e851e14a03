"""The registry: named parts of every kind, with the metadata read from their factories.

A *part* is a name bound to a factory (a class or a function) within a *kind* such as ``generator``
or ``loss``. Kinds are plain strings: a plugin that registers a new kind needs no change here.
Plugins add parts through the :func:`~ganzoo.hookspecs.ganzoo_register_parts` hook; see
:mod:`ganzoo.plugins` for how the registry is filled.
"""

from __future__ import annotations

import ast
import fnmatch
import importlib
import importlib.util
import inspect
from collections.abc import Callable, Iterable, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from ganzoo.config import NAME_KEY
from ganzoo.errors import (
    DuplicatePartError,
    ParameterError,
    PartContractError,
    PluginError,
    UnknownPartError,
    did_you_mean,
)
from ganzoo.packaged_files import PackagedYaml, is_packaged_file
from ganzoo.parameters import Parameter, accepts_any_keyword, check_parameters, signature_parameters

#: The kinds the built-in zoo and the trainer use. Others may be added by plugins.
CORE_KINDS = ("generator", "discriminator", "loss", "schedule", "augment", "dataset", "tracker")
#: Core kinds that only plugins fill, with where their parts come from (said when none is installed).
PLUGIN_KINDS = {"tracker": "trackers come from plugins, such as ganzoo-mlflow and ganzoo-wandb (pip install one)"}


class Part:
    """A registered part: a factory and what can be known about it.

    The factory may be given as an object or as a ``"module:qualified_name"`` string. A string is
    imported only when the part is built or its parameters are needed; its summary is read from the
    source without importing it, so listing parts stays fast (no torch import for ``ganzoo list``).
    A string naming a YAML file of a package, ``"package:path/file.yaml"``, is a data part (a
    recipe): building it reads the file (:mod:`ganzoo.packaged_files`).

    Attributes:
        kind: The family, e.g. ``"generator"``.
        name: The name users type, e.g. ``"unet"``.
        plugin: The distribution (or plugin name) that registered it.
        tags: Free-form labels such as ``"unconditional"`` or ``"image-to-image"``.
    """

    def __init__(
        self, kind: str, name: str, factory: Callable[..., Any] | str, *, plugin: str, tags: Iterable[str] = ()
    ) -> None:
        if isinstance(factory, str) and ":" not in factory:
            raise ValueError(f"{kind} '{name}': a factory given by name must read 'module:qualified_name', not {factory!r}")
        self.kind = kind
        self.name = name
        self.plugin = plugin
        self.tags = tuple(tags)
        self._target = factory

    @classmethod
    def from_factory(
        cls,
        kind: str,
        name: str,
        factory: Callable[..., Any] | str,
        *,
        plugin: str,
        tags: Iterable[str] = (),
    ) -> Part:
        """Describe a factory (an object or a ``"module:qualified_name"`` string) as a part."""
        return cls(kind, name, factory, plugin=plugin, tags=tags)

    def __repr__(self) -> str:
        return f"Part(kind={self.kind!r}, name={self.name!r}, plugin={self.plugin!r}, source={self.source!r})"

    @cached_property
    def factory(self) -> Callable[..., Any]:
        """The class or function that builds the part (imported on first use when given by name).

        Raises:
            PluginError: If the named module or attribute cannot be imported.
        """
        if not isinstance(self._target, str):
            return self._target
        if is_packaged_file(self._target):
            return PackagedYaml(self._target)
        module_name, _, qualified = self._target.partition(":")
        try:
            target: Any = importlib.import_module(module_name)
            for attribute in qualified.split("."):
                target = getattr(target, attribute)
        except (ImportError, AttributeError) as error:
            raise PluginError(f"{self.label} from '{self.plugin}' cannot be imported from {self._target}: {error}") from error
        return target

    @cached_property
    def doc(self) -> str:
        """The factory's whole docstring (a packaged file's documenting keys)."""
        factory = self.factory
        if isinstance(factory, PackagedYaml):
            return factory.doc
        return inspect.getdoc(factory) or ""

    @cached_property
    def summary(self) -> str:
        """The first paragraph of the docstring, on one line (read from the source when possible)."""
        static = isinstance(self._target, str) and not is_packaged_file(self._target)
        doc = (_static_docstring(self._target) or self.doc) if static else self.doc  # type: ignore[arg-type]
        return doc.strip().split("\n\n", 1)[0].replace("\n", " ").strip()

    @cached_property
    def parameters(self) -> tuple[Parameter, ...]:
        """The factory's keyword parameters with types and defaults."""
        return signature_parameters(self.factory)

    @property
    def label(self) -> str:
        """How messages name the part, e.g. ``generator 'unet'``."""
        return f"{self.kind} '{self.name}'"

    @property
    def source(self) -> str:
        """Where the factory is defined, as ``module:qualified_name``."""
        if isinstance(self._target, str):
            return self._target
        return f"{self._target.__module__}:{self._target.__qualname__}"

    def defaults(self) -> dict[str, Any]:
        """The parameters that have defaults, with those defaults."""
        return {p.name: p.default for p in self.parameters if not p.required}

    def accepts(self, name: str) -> bool:
        """Whether the factory takes a keyword parameter called ``name``."""
        return any(p.name == name for p in self.parameters)

    def check(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Check parameters against the signature without building anything.

        Raises:
            ParameterError: Naming the unknown, ill-typed or missing parameters and the valid ones.
            PartContractError: If the factory has a parameter called ``name``, which no slot can set.
        """
        if self.accepts(NAME_KEY):
            raise PartContractError(
                f"{self.label} ({self.source}) has a parameter called '{NAME_KEY}', which a configuration slot keeps for "
                f"the part's own name ({self.kind}: {{{NAME_KEY}: {self.name}}}); the part must call it something else"
            )
        return check_parameters(
            self.label, self.parameters, params, open_keywords=accepts_any_keyword(self.factory)
        )

    def build(self, **params: Any) -> Any:
        """Check the parameters, call the factory with them, and check what it built.

        Raises:
            ParameterError: If a parameter is unknown or ill-typed, or the factory refuses a value.
            PartContractError: If the factory built something other than its kind's contract
                (:data:`ganzoo.contracts.KIND_CONTRACTS`; kinds without one are not checked).
        """
        checked = self.check(params)
        try:
            built = self.factory(**checked)
        except (ValueError, TypeError) as error:
            raise ParameterError(self._labelled(str(error))) from error
        from ganzoo.contracts import check_contract  # imports torch: only once something is built

        return check_contract(self, built)


    def _labelled(self, message: str) -> str:
        """``message`` led by the part's label, once: a factory that names itself first (``unet: …``,
        ``UNetGenerator: …``, ``generator 'unet': …``) has its own prefix replaced."""
        if message.startswith(f"{self.label}:"):
            return message
        own = getattr(self.factory, "__name__", None)
        for prefix in (self.name, own):
            if prefix and message.startswith(f"{prefix}:"):
                message = message[len(prefix) + 1 :].lstrip()
                break
        return f"{self.label}: {message}"


def _static_docstring(target: str) -> str | None:
    """Read a class's or function's docstring from its module's source, without importing the module.

    Returns ``None`` when the source cannot be found or parsed; the caller then imports.
    """
    module_name, _, qualified = target.partition(":")
    try:
        spec = importlib.util.find_spec(module_name)  # imports the parent packages, not the module
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    try:
        tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None
    body: list[ast.stmt] = tree.body
    node: ast.AST | None = None
    for attribute in qualified.split("."):
        node = next(
            (n for n in body if isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == attribute),
            None,
        )
        if node is None:
            return None
        body = node.body  # type: ignore[attr-defined]
    return ast.get_docstring(node) if node is not None else None  # type: ignore[arg-type]


class Registry:
    """Parts by kind and name.

    The registry itself loads nothing: :func:`ganzoo.plugins.get_registry` returns the one filled from
    the installed plugins. Tests and embedding applications may build their own.
    """

    def __init__(self) -> None:
        self._parts: dict[str, dict[str, Part]] = {}

    def add(self, part: Part) -> Part:
        """Add a part.

        Raises:
            DuplicatePartError: If the kind already has a part of that name, naming both plugins.
        """
        existing = self._parts.get(part.kind, {}).get(part.name)
        if existing is not None:
            raise DuplicatePartError(
                f"{part.label} is registered twice: by '{existing.plugin}' ({existing.source}) and by "
                f"'{part.plugin}' ({part.source}); uninstall one plugin or rename its part"
            )
        self._parts.setdefault(part.kind, {})[part.name] = part
        return part

    def register(
        self,
        kind: str,
        name: str,
        factory: Callable[..., Any] | str,
        *,
        plugin: str,
        tags: Iterable[str] = (),
    ) -> Part:
        """Describe ``factory`` as a part and add it; see :meth:`Part.from_factory`."""
        return self.add(Part.from_factory(kind, name, factory, plugin=plugin, tags=tags))

    def kinds(self) -> list[str]:
        """The kinds that have at least one part, the core kinds first."""
        core = [kind for kind in CORE_KINDS if kind in self._parts]
        return core + sorted(kind for kind in self._parts if kind not in CORE_KINDS)

    def names(self, kind: str) -> list[str]:
        """The sorted names of one kind's parts (empty for an unknown kind)."""
        return sorted(self._parts.get(kind, {}))

    def get(self, kind: str, name: str) -> Part:
        """Look a part up.

        Raises:
            UnknownPartError: With the closest names and the command that lists them all.
        """
        if kind not in self._parts and kind in PLUGIN_KINDS:
            raise UnknownPartError(f"unknown {kind} '{name}': no {kind} is installed: {PLUGIN_KINDS[kind]}")
        self.check_kind(kind)
        parts = self._parts[kind]
        if name not in parts:
            raise UnknownPartError(
                f"unknown {kind} '{name}'{did_you_mean(name, parts)} "
                f"(run 'ganzoo list {kind}' to see all {len(parts)})"
            )
        return parts[name]

    def check_kind(self, kind: str) -> None:
        """Refuse a kind with no parts.

        Raises:
            UnknownPartError: With the closest kinds and the list of all.
        """
        if kind not in self._parts:
            raise UnknownPartError(
                f"unknown kind '{kind}'{did_you_mean(kind, self._parts)} "
                f"(kinds: {', '.join(self.kinds()) or 'none'})"
            )

    def list(self, kind: str | None = None, pattern: str = "*") -> list[Part]:
        """Parts whose name matches a glob pattern, by kind then name.

        Args:
            kind: Only this kind; all kinds when ``None``.
            pattern: An :mod:`fnmatch` pattern such as ``"*gan"``.

        Raises:
            UnknownPartError: If ``kind`` has no parts.
        """
        if kind is not None:
            self.check_kind(kind)
        kinds = [kind] if kind is not None else self.kinds()
        return [
            self._parts[k][name]
            for k in kinds
            for name in sorted(self._parts[k])
            if fnmatch.fnmatchcase(name, pattern)
        ]

    def find(self, name: str) -> list[Part]:
        """Every part called ``name``, whatever its kind (``mlp`` is a generator and a discriminator)."""
        return [parts[name] for kind, parts in self._parts.items() if name in parts]

    def __contains__(self, key: tuple[str, str]) -> bool:
        kind, name = key
        return name in self._parts.get(kind, {})

    def __len__(self) -> int:
        return sum(len(parts) for parts in self._parts.values())
