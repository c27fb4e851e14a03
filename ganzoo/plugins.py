"""Finding plugins, loading them, and filling the registry from them.

Plugins are found through the ``ganzoo`` entry-point group, the built-in zoo included (ganzoo's own
``pyproject.toml`` names :mod:`ganzoo.zoo` there), and are loaded lazily: the first call of
:func:`get_host` or :func:`get_registry` loads them, so importing ganzoo imports no plugin. Loading a
plugin imports only the module its entry point names; its parts' modules are imported when a part
is built, if it registers them as ``"module:Class"`` strings.

One plugin can never take the others down:

- A plugin that fails to import, or raises in a registration hook (parts or commands), is reported
  once (a warning on the ``ganzoo.plugins`` logger, and a line in ``ganzoo plugins``) and left out
  entirely: its parts, its commands and its lifecycle hooks.
- A name registered twice within a kind costs only the later registration: the first keeps the name
  (the built-in zoo registers first, then the plugins by distribution name), and a warning names
  both plugins and how to choose the other.
- A lifecycle hook that raises during a run is reported with its plugin's name and that plugin is
  left out for the rest of the run (see :class:`RunHooks`): a plugin never costs a run its state or
  its outcome.

Plugins can be left out on purpose, as pytest's ``-p no:NAME`` does: ``GANZOO_DISABLE_PLUGINS`` holds
plugin names (entry-point or distribution names, separated by commas), or ``1`` for every
third-party plugin; ``ganzoo --disable-plugin NAME`` does the same for one command. A disabled
plugin is not imported at all; ``ganzoo plugins`` lists it as disabled. The built-in zoo cannot be
disabled.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from typing import TYPE_CHECKING, Any

import pluggy

from ganzoo import hookspecs
from ganzoo.errors import DuplicatePartError, PluginError, did_you_mean
from ganzoo.registry import Part, Registry

if TYPE_CHECKING:
    from ganzoo.contracts import Tracker

ENTRY_POINT_GROUP = "ganzoo"
DISABLE_VARIABLE = "GANZOO_DISABLE_PLUGINS"
#: The global option of ``ganzoo`` that leaves a plugin out of one command.
DISABLE_OPTION = "--disable-plugin"
BUILTIN_DISTRIBUTION = "ganzoo"
#: Values of :data:`DISABLE_VARIABLE` that disable every third-party plugin.
ALL_THIRD_PARTY = ("1", "true", "yes", "on", "all")

logger = logging.getLogger("ganzoo.plugins")


@dataclass
class PluginInfo:
    """What is known about one loaded, failed or disabled plugin.

    Attributes:
        name: The entry point's name (or the name given to :meth:`PluginHost.add_plugin`).
        distribution: The installed distribution that declares it.
        version: That distribution's version.
        target: The entry point's value, e.g. ``"ganzoo.zoo"``.
        parts: ``(kind, name)`` of every part it registered (and kept).
        commands: The sub-commands it added to ``ganzoo``.
        clashes: ``(kind, name)`` of the parts it registered under a name another plugin registered first.
        error: Why it failed to load or register, or ``None``.
        disabled: Whether it was left out on purpose (not even imported).
    """

    name: str
    distribution: str
    version: str
    target: str
    parts: list[tuple[str, str]] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    clashes: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None
    disabled: bool = False

    @property
    def builtin(self) -> bool:
        """Whether this is ganzoo's own zoo."""
        return self.distribution == BUILTIN_DISTRIBUTION

    @property
    def where(self) -> str:
        """``distribution version``, for messages."""
        return f"{self.distribution} {self.version}".strip()


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name.strip()).lower()


def disabled_by_environment() -> tuple[bool, list[str]]:
    """What :data:`DISABLE_VARIABLE` asks: ``(every third-party plugin, plugin names)``."""
    value = os.environ.get(DISABLE_VARIABLE, "").strip()
    if value.lower() in ("", "0", "false", "no", "off"):
        return False, []
    if value.lower() in ALL_THIRD_PARTY:
        return True, []
    return False, [name.strip() for name in value.split(",") if name.strip()]


def plugins_disabled() -> bool:
    """Whether every third-party entry-point plugin is switched off by :data:`DISABLE_VARIABLE`."""
    return disabled_by_environment()[0]


class PluginHost:
    """A pluggy plugin manager with ganzoo's hooks, and the registry its plugins fill.

    Args:
        entry_points: Load the plugins named by installed entry points. Tests pass ``False`` and add
            plugin objects with :meth:`add_plugin`.
        third_party: Also load entry points of distributions other than ganzoo itself (default:
            unless :data:`DISABLE_VARIABLE` is ``1``).
        disabled: Names of plugins to leave out (entry-point or distribution names), besides those
            :data:`DISABLE_VARIABLE` names.
    """

    def __init__(
        self, *, entry_points: bool = True, third_party: bool | None = None, disabled: Iterable[str] = ()
    ) -> None:
        self.manager = pluggy.PluginManager(ENTRY_POINT_GROUP)
        self.manager.add_hookspecs(hookspecs)
        self.plugins: list[PluginInfo] = []
        self._info_by_plugin: dict[int, PluginInfo] = {}
        self._registry: Registry | None = None
        every, from_environment = disabled_by_environment()
        self.third_party = not every if third_party is None else third_party
        #: The plugin names asked to be left out, as given (environment first).
        self.disabled_names = [*from_environment, *disabled]
        self._disabled = {_normalised(name) for name in self.disabled_names}
        if entry_points:
            self._load_entry_points()
            self._warn_unmatched(from_environment, DISABLE_VARIABLE)

    @property
    def hook(self) -> Any:
        """The hook caller: ``host.hook.ganzoo_run_start(run=trainer)``."""
        return self.manager.hook

    def _is_disabled(self, info: PluginInfo) -> bool:
        if info.builtin:
            return False
        return _normalised(info.name) in self._disabled or _normalised(info.distribution) in self._disabled

    def unmatched(self, names: Iterable[str]) -> list[str]:
        """The names among ``names`` that are no plugin this host knows (typos in a disable list)."""
        known = {_normalised(n) for info in self.plugins for n in (info.name, info.distribution) if not info.builtin}
        return [name for name in names if _normalised(name) not in known]

    def unmatched_message(self, names: Iterable[str], what: str) -> str | None:
        """One line naming the unknown plugins among ``names`` and the closest known ones, or ``None``."""
        unknown = self.unmatched(names)
        if not unknown:
            return None
        builtin = {_normalised(n) for info in self.plugins if info.builtin for n in (info.name, info.distribution)}
        known = sorted({info.name for info in self.plugins if not info.builtin})
        if all(_normalised(name) in builtin for name in unknown):
            return f"{what} {', '.join(repr(n) for n in unknown)}: the built-in zoo cannot be disabled (plugins: {', '.join(known) or 'none'})"
        return (
            f"{what} {', '.join(repr(n) for n in unknown)}: no installed plugin has that name{did_you_mean(unknown[0], known)} "
            f"(plugins: {', '.join(known) or 'none'}; run 'ganzoo plugins')"
        )

    def _warn_unmatched(self, names: list[str], what: str) -> None:
        message = self.unmatched_message(names, what)
        if message:
            logger.warning(message)

    def add_plugin(self, plugin: object, name: str, *, distribution: str = "", version: str = "") -> None:
        """Register a plugin object directly (tests, notebooks, applications embedding ganzoo).

        Must be called before the registry is first used. A plugin this host was asked to disable is
        recorded as disabled and not registered.
        """
        if self._registry is not None:
            raise PluginError(f"plugin '{name}' was added after the registry was filled; add it earlier")
        info = PluginInfo(name, distribution or name, version, getattr(plugin, "__name__", repr(plugin)))
        self.plugins.append(info)
        if self._is_disabled(info):
            info.disabled = True
            return
        self.manager.register(plugin, name=name)
        self.manager.check_pending()
        self._info_by_plugin[id(plugin)] = info

    def _load_entry_points(self) -> None:
        seen: set[tuple[str, str]] = set()
        found = sorted(
            metadata.entry_points(group=ENTRY_POINT_GROUP),
            # The built-in zoo first, then by distribution: who keeps a clashing name never depends
            # on the order of sys.path.
            key=lambda ep: (ep.dist is None or ep.dist.name != BUILTIN_DISTRIBUTION, ep.dist.name if ep.dist else "", ep.name),
        )
        for entry_point in found:
            distribution = entry_point.dist.name if entry_point.dist else "unknown"
            version = entry_point.dist.version if entry_point.dist else ""
            if (entry_point.name, entry_point.value) in seen:
                continue  # the same distribution found twice on sys.path
            seen.add((entry_point.name, entry_point.value))
            info = PluginInfo(entry_point.name, distribution, version, entry_point.value)
            self.plugins.append(info)
            if not info.builtin and (not self.third_party or self._is_disabled(info)):
                info.disabled = True
                continue
            try:
                plugin = entry_point.load()
                self.manager.register(plugin, name=entry_point.name)
                self.manager.check_pending()
            except Exception as error:  # noqa: BLE001  (a broken plugin must not take the others down)
                self.report_failure(info, "failed to load", error)
                continue
            self._info_by_plugin[id(plugin)] = info
        if not any(info.builtin for info in self.plugins):
            raise PluginError(
                "ganzoo's built-in parts are not registered: its 'ganzoo' entry points are missing; "
                "install the package (pip install ganzoo, or pip install -e . in a checkout)"
            )

    def report_failure(self, info: PluginInfo, what: str, error: BaseException) -> None:
        """Mark a plugin as failed and warn once; it is left out from then on (parts, commands, hooks)."""
        info.error = f"{type(error).__name__}: {error}"
        logger.warning(
            "plugin '%s' from %s %s (%s); its parts, commands and hooks are unavailable", info.name, info.where, what, info.error
        )

    def implementations(self, hook_name: str) -> Iterator[tuple[Any, PluginInfo]]:
        """Each implementation of a hook with its plugin: the built-in zoo first, then in registration order.

        Plugins that failed, or failed meanwhile, are skipped.
        """
        found = []
        for implementation in getattr(self.hook, hook_name).get_hookimpls():  # in registration order
            info = self._info_of(implementation.plugin)
            if info is None:  # registered straight through the pluggy manager
                info = PluginInfo(implementation.plugin_name, implementation.plugin_name, "", "")
                self.plugins.append(info)
                self._info_by_plugin[id(implementation.plugin)] = info
            found.append((implementation, info))
        for implementation, info in sorted(found, key=lambda pair: not pair[1].builtin):
            if not info.error:
                yield implementation, info

    def run_hooks(self, tracker: Tracker | None = None, tracker_name: str = "") -> RunHooks:
        """The lifecycle hooks for one training run (and its tracker's), each implementation isolated from the run."""
        return RunHooks(self, tracker, tracker_name)

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
        for implementation, info in self.implementations("ganzoo_register_parts"):
            collected: list[Part] = []
            try:
                implementation.function(register=_collector(collected, info.distribution))
            except Exception as error:  # noqa: BLE001  (isolated like a failed load)
                self.report_failure(info, "raised while registering its parts", error)
                continue
            for part in collected:
                try:
                    registry.add(part)
                except DuplicatePartError:
                    self._clash(info, registry.get(part.kind, part.name), part)
                    continue
                info.parts.append((part.kind, part.name))
        return registry

    def _clash(self, info: PluginInfo, kept: Part, dropped: Part) -> None:
        info.clashes.append((dropped.kind, dropped.name))
        winner = next((i for i in self.plugins if i.distribution == kept.plugin), None)
        if winner is info:
            advice = f"'{info.name}' registers it twice; the first registration is kept"
        elif winner is None or winner.builtin:
            advice = f"the built-in part is kept; '{dropped.plugin}' must rename its part (or uninstall it)"
        else:
            advice = (
                f"the one from '{kept.plugin}' is kept. To use the other, uninstall {kept.plugin} or disable its plugin: "
                f"{DISABLE_VARIABLE}={winner.name} or ganzoo {DISABLE_OPTION} {winner.name}; to keep this one, disable "
                f"'{info.name}' the same way"
            )
        logger.warning(
            "%s is registered by both '%s' (%s) and '%s' (%s): %s", dropped.label, kept.plugin, kept.source,
            dropped.plugin, dropped.source, advice,
        )


class RunHooks:
    """Calls the lifecycle hooks of a run (``ganzoo_run_start`` … ``ganzoo_run_end``), one plugin at a time.

    An implementation that raises is logged as an error naming its plugin, the hook and the step, and
    that plugin's hooks are not called again during this run; the run goes on, and its status is
    what its training made it. Plugins that failed to load or to register are never called, and
    disabled plugins are not even loaded.

    The run's :class:`~ganzoo.contracts.Tracker`, if any, is called after the plugins, its method
    named as the hook without ``ganzoo_`` (``step_end`` for ``ganzoo_step_end``). A tracker that
    raises (its server unreachable, its store misconfigured) is reported in one warning and left out
    of the rest of the run in the same way.

    Args:
        host: The plugin host.
        tracker: The run's tracker.
        tracker_name: Its name in messages (its part name).
    """

    def __init__(self, host: PluginHost, tracker: Tracker | None = None, tracker_name: str = "") -> None:
        self.host = host
        self.tracker = tracker
        self.tracker_name = tracker_name or type(tracker).__name__
        #: Plugins left out of this run after a hook raised, by plugin name, with the error.
        self.failed: dict[str, str] = {}
        #: Why the tracker was left out of this run, once it raised.
        self.tracker_failure: str | None = None

    def __call__(self, hook_name: str, **kwargs: Any) -> None:
        """Call every implementation of ``hook_name`` with ``kwargs``, the built-in zoo's first."""
        for implementation, info in self.host.implementations(hook_name):
            name = implementation.plugin_name
            if name in self.failed:
                continue
            try:
                implementation.function(**{arg: kwargs[arg] for arg in implementation.argnames})
            except Exception as error:  # noqa: BLE001  (a plugin must not take the run down)
                step = kwargs.get("step", getattr(kwargs.get("run"), "step", "?"))
                self.failed[name] = f"{type(error).__name__}: {error}"
                logger.error(
                    "plugin '%s' (%s) raised in %s at step %s (%s); its hooks are skipped for the rest of this run",
                    name, info.where or name, hook_name, step, self.failed[name],
                )
        if self.tracker is not None and self.tracker_failure is None:
            self._call_tracker(hook_name.removeprefix("ganzoo_"), kwargs)

    def _call_tracker(self, method: str, kwargs: dict[str, Any]) -> None:
        try:
            getattr(self.tracker, method)(**kwargs)
        except Exception as error:  # noqa: BLE001  (a tracker must not take the run down)
            step = kwargs.get("step", getattr(kwargs.get("run"), "step", "?"))
            self.tracker_failure = f"{type(error).__name__}: {error}"
            logger.warning(
                "tracker '%s' failed in %s at step %s (%s); the run goes on without it",
                self.tracker_name, method, step, self.tracker_failure,
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

    Tests use this to run against a host holding only the plugins they add; ``ganzoo
    --disable-plugin`` uses it for one command.
    """
    global _host
    previous, _host = _host, host
    return previous


def get_registry() -> Registry:
    """The process-wide registry, filled from the installed plugins on first use."""
    return get_host().registry
