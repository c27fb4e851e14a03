"""The registry: named parts of every kind, with the metadata read from their factories.

A *part* is a name bound to a factory (a class or a function) within a *kind* such as ``generator``
or ``loss``. Kinds are plain strings: a plugin that registers a new kind needs no change here.
Plugins add parts through the :func:`~ganzoo.hookspecs.ganzoo_register_parts` hook; see
:mod:`ganzoo.plugins` for how the registry is filled.
"""

from __future__ import annotations

import fnmatch
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ganzoo.errors import DuplicatePartError, ParameterError, UnknownPartError, did_you_mean
from ganzoo.parameters import Parameter, accepts_any_keyword, check_parameters, signature_parameters

#: The kinds the built-in zoo and the trainer use. Others may be added by plugins.
CORE_KINDS = ("generator", "discriminator", "loss", "schedule", "dataset")


@dataclass(frozen=True)
class Part:
    """A registered part: a factory and what can be known about it without calling it.

    Attributes:
        kind: The family, e.g. ``"generator"``.
        name: The name users type, e.g. ``"unet"``.
        factory: The class or function that builds the part.
        plugin: The distribution (or plugin name) that registered it.
        tags: Free-form labels such as ``"unconditional"`` or ``"image-to-image"``.
        summary: The first line of the factory's docstring.
        doc: The whole docstring.
        parameters: The factory's keyword parameters with types and defaults.
    """

    kind: str
    name: str
    factory: Callable[..., Any]
    plugin: str
    tags: tuple[str, ...] = ()
    summary: str = ""
    doc: str = ""
    parameters: tuple[Parameter, ...] = field(default=(), repr=False)

    @classmethod
    def from_factory(
        cls,
        kind: str,
        name: str,
        factory: Callable[..., Any],
        *,
        plugin: str,
        tags: Iterable[str] = (),
    ) -> Part:
        """Describe a factory as a part, reading its docstring and signature."""
        doc = inspect.getdoc(factory) or ""
        summary = doc.strip().split("\n\n", 1)[0].replace("\n", " ").strip()
        return cls(
            kind=kind,
            name=name,
            factory=factory,
            plugin=plugin,
            tags=tuple(tags),
            summary=summary,
            doc=doc,
            parameters=signature_parameters(factory),
        )

    @property
    def label(self) -> str:
        """How messages name the part, e.g. ``generator 'unet'``."""
        return f"{self.kind} '{self.name}'"

    @property
    def source(self) -> str:
        """Where the factory is defined, as ``module:qualified_name``."""
        return f"{self.factory.__module__}:{self.factory.__qualname__}"

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
        """
        return check_parameters(
            self.label, self.parameters, params, open_keywords=accepts_any_keyword(self.factory)
        )

    def build(self, **params: Any) -> Any:
        """Check the parameters, then call the factory with them.

        Raises:
            ParameterError: If a parameter is unknown or ill-typed, or the factory refuses a value.
        """
        checked = self.check(params)
        try:
            return self.factory(**checked)
        except (ValueError, TypeError) as error:
            raise ParameterError(f"{self.label}: {error}") from error


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
        factory: Callable[..., Any],
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
