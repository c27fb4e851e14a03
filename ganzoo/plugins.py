"""Finding plugins, loading them, and filling the registry from them.

Plugins are found through the ``ganzoo`` entry-point group, the built-in zoo included (ganzoo's own
``pyproject.toml`` names :mod:`ganzoo.zoo` there), and are loaded lazily: the first call of
:func:`get_host` or :func:`get_registry` loads them, so importing ganzoo imports no plugin.

A plugin that fails to import, or raises while registering, is reported once (a warning on the
``ganzoo.plugins`` logger, and a line in ``ganzoo plugins``) and left out, its lifecycle hooks too;
everything else works. A lifecycle hook that raises during a run is reported with its plugin's name
and that plugin is left out for the rest of the run (see :class:`RunHooks`): a plugin never costs a
run its state or its outcome.
Setting the environment variable ``GANZOO_DISABLE_PLUGINS=1`` loads the built-in zoo only.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from ganzoo import hookspecs
from ganzoo.errors import PluginError
from ganzoo.registry import Part, Registry

ENTRY_POINT_GROUP = "ganzoo"
DISABLE_VARIABLE = "GANZOO_DISABLE_PLUGINS"
BUILTIN_DISTRIBUTION = "ganzoo"

logger = logging.getLogger("ganzoo.plugins")


@dataclass
class PluginInfo:
    """What is known about one loaded (or failed) plugin.

    Attributes:
        name: The entry point's name (or the name given to :meth:`PluginHost.add_plugin`).
        distribution: The installed distribution that declares it.
        version: That distribution's version.
        target: The entry point's value, e.g. ``"ganzoo.zoo"``.
        parts: ``(kind, name)`` of every part it registered.
        error: Why it failed to load or register, or ``None``.
    """

    name: str
    distribution: str
    version: str
    target: str
    parts: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None


def plugins_disabled() -> bool:
    """Whether third-party entry-point plugins are switched off by :data:`DISABLE_VARIABLE`."""
    return os.environ.get(DISABLE_VARIABLE, "").strip().lower() not in ("", "0", "false", "no")


class PluginHost:
    """A pluggy plugin manager with ganzoo's hooks, and the registry its plugins fill.

    Args:
        entry_points: Load the plugins named by installed entry points. Tests pass ``False`` and add
            plugin objects with :meth:`add_plugin`.
        third_party: Also load entry points of distributions other than ganzoo itself.
    """

    def __init__(self, *, entry_points: bool = True, third_party: bool | None = None) -> None:
        self.manager = pluggy.PluginManager(ENTRY_POINT_GROUP)
        self.manager.add_hookspecs(hookspecs)
        self.plugins: list[PluginInfo] = []
        self._info_by_plugin: dict[int, PluginInfo] = {}
        self._registry: Registry | None = None
        if entry_points:
            self._load_entry_points(third_party=not plugins_disabled() if third_party is None else third_party)

    @property
    def hook(self) -> Any:
        """The hook caller: ``host.hook.ganzoo_run_start(run=trainer)``."""
        return self.manager.hook

    def add_plugin(self, plugin: object, name: str, *, distribution: str = "", version: str = "") -> None:
        """Register a plugin object directly (tests, notebooks, applications embedding ganzoo).

        Must be called before the registry is first used.
        """
        if self._registry is not None:
            raise PluginError(f"plugin '{name}' was added after the registry was filled; add it earlier")
        info = PluginInfo(name, distribution or name, version, getattr(plugin, "__name__", repr(plugin)))
        self.manager.register(plugin, name=name)
        self.manager.check_pending()
        self.plugins.append(info)
        self._info_by_plugin[id(plugin)] = info

    def _load_entry_points(self, *, third_party: bool) -> None:
        seen: set[tuple[str, str]] = set()
        for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
            distribution = entry_point.dist.name if entry_point.dist else "unknown"
            version = entry_point.dist.version if entry_point.dist else ""
            if (entry_point.name, entry_point.value) in seen:
                continue  # the same distribution found twice on sys.path
            seen.add((entry_point.name, entry_point.value))
            if not third_party and distribution != BUILTIN_DISTRIBUTION:
                continue
            info = PluginInfo(entry_point.name, distribution, version, entry_point.value)
            self.plugins.append(info)
            try:
                plugin = entry_point.load()
                self.manager.register(plugin, name=entry_point.name)
                self.manager.check_pending()
            except Exception as error:  # noqa: BLE001  (a broken plugin must not take the others down)
                self._fail(info, "failed to load", error)
                continue
            self._info_by_plugin[id(plugin)] = info
        if not any(info.distribution == BUILTIN_DISTRIBUTION for info in self.plugins):
            raise PluginError(
                "ganzoo's built-in parts are not registered: its 'ganzoo' entry points are missing; "
                "install the package (pip install ganzoo, or pip install -e . in a checkout)"
            )

    def _fail(self, info: PluginInfo, what: str, error: BaseException) -> None:
        info.error = f"{type(error).__name__}: {error}"
        logger.warning(
            "plugin '%s' from %s %s %s (%s); its parts are unavailable",
            info.name,
            info.distribution,
            info.version,
            what,
            info.error,
        )

    def run_hooks(self) -> RunHooks:
        """The lifecycle hooks for one training run, each implementation isolated from the run."""
        return RunHooks(self)

    def _info_of(self, plugin: object) -> PluginInfo | None:
        return self._info_by_plugin.get(id(plugin))

    @property
    def registry(self) -> Registry:
        """The registry, filled from every loaded plugin on first use."""
        if self._registry is None:
            self._registry = self._fill_registry()
        return self._registry

    def _fill_registry(self) -> Registry:
        registry = Registry()
        # Each implementation is called on its own, so every part is stamped with the plugin that
        # registered it and a plugin that raises loses only its own parts.
        for implementation in reversed(self.manager.hook.ganzoo_register_parts.get_hookimpls()):
            info = self._info_by_plugin.get(id(implementation.plugin))
            if info is None:  # registered straight through the pluggy manager
                info = PluginInfo(implementation.plugin_name, implementation.plugin_name, "", "")
                self.plugins.append(info)
                self._info_by_plugin[id(implementation.plugin)] = info
            collected: list[Part] = []
            try:
                implementation.function(register=_collector(collected, info.distribution))
            except Exception as error:  # noqa: BLE001  (isolated like a failed load)
                self._fail(info, "raised while registering its parts", error)
                continue
            for part in collected:
                registry.add(part)  # a duplicate between plugins raises, naming both
                info.parts.append((part.kind, part.name))
        return registry


class RunHooks:
    """Calls the lifecycle hooks of a run (``ganzoo_run_start`` … ``ganzoo_run_end``), one plugin at a time.

    An implementation that raises is logged as an error naming its plugin, the hook and the step, and
    that plugin's hooks are not called again during this run; the run goes on, and its status is
    what its training made it. Plugins that failed to load or to register are never called.

    Args:
        host: The plugin host.
    """

    def __init__(self, host: PluginHost) -> None:
        self.host = host
        #: Plugins left out of this run after a hook raised, by plugin name, with the error.
        self.failed: dict[str, str] = {}

    def __call__(self, hook_name: str, **kwargs: Any) -> None:
        """Call every implementation of ``hook_name`` with ``kwargs``, in pluggy's order."""
        caller = getattr(self.host.hook, hook_name)
        for implementation in reversed(caller.get_hookimpls()):  # pluggy calls the last registered first
            info = self.host._info_of(implementation.plugin)
            name = implementation.plugin_name
            if name in self.failed or (info is not None and info.error):
                continue
            try:
                implementation.function(**{arg: kwargs[arg] for arg in implementation.argnames})
            except Exception as error:  # noqa: BLE001  (a plugin must not take the run down)
                step = kwargs.get("step", getattr(kwargs.get("run"), "step", "?"))
                where = f"{info.distribution} {info.version}".strip() if info else name
                self.failed[name] = f"{type(error).__name__}: {error}"
                logger.error(
                    "plugin '%s' (%s) raised in %s at step %s (%s); its hooks are skipped for the rest of this run",
                    name, where, hook_name, step, self.failed[name],
                )


def _collector(collected: list[Part], distribution: str) -> Callable[..., None]:
    def register(kind: str, name: str, factory: Any, *, tags: Iterable[str] = ()) -> None:
        collected.append(Part.from_factory(kind, name, factory, plugin=distribution, tags=tags))

    return register


_host: PluginHost | None = None


def get_host() -> PluginHost:
    """The process-wide plugin host, created (and plugins loaded) on first call."""
    global _host
    if _host is None:
        _host = PluginHost()
    return _host


def set_host(host: PluginHost | None) -> PluginHost | None:
    """Replace the process-wide host (``None`` resets it); returns the previous one.

    Tests use this to run against a host holding only the plugins they add.
    """
    global _host
    previous, _host = _host, host
    return previous


def get_registry() -> Registry:
    """The process-wide registry, filled from the installed plugins on first use."""
    return get_host().registry
