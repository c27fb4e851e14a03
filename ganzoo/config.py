"""Configurations: YAML files and ``kind=name`` / ``kind.param=value`` words, merged with OmegaConf.

A configuration is a tree of plain data. Sections whose value is a mapping with a ``name`` key are
*slots*: each selects one part (``generator: {name: unet, ngf: 64}``). On the command line

* ``generator=unet`` selects the part for a slot, dropping the parameters meant for the part it
  replaces;
* ``generator.ngf=32`` sets one of its parameters (checked later against the part's signature);
* ``image_size=64`` or ``train.steps=100`` sets any other key, which must already exist;
* ``schedule.ema=ema`` or ``loss.r1=r1`` adds a part under a new key of ``schedule`` or ``loss``,
  the two sections that hold any number of parts (:data:`SLOT_TABLES`), and ``schedule.decay=none``
  removes one.

Selectors are applied before parameters, whatever their order on the line: handing both to OmegaConf
as one dot-list would let ``generator=unet`` and ``generator.ngf=32`` overwrite each other.

Configurations are data: YAML is read as plain data within fixed bounds (:mod:`ganzoo.safe_yaml`:
no tags, at most 100,000 values and 64 levels once aliases are expanded), in files and in the values of
words alike, and OmegaConf's interpolations (``${...}``, including resolvers such as ``oc.env``) are
never resolved, so a value is exactly the text it was given.

A file is checked as strictly as words are (:func:`check_keys`): a key that the configuration it
changes does not have is refused with the closest ones, at any depth — except inside a slot, whose
parameters are checked against the part's signature when it is built.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from ganzoo.errors import ConfigError, did_you_mean
from ganzoo.safe_yaml import MAX_BYTES, parse_yaml

NAME_KEY = "name"
#: Sections holding any number of slots by key, to which a ``section.key=name`` word adds one.
SLOT_TABLES = ("loss", "schedule")
# Sections whose keys are names (of networks, tensors, losses, schedules): a recipe, a file or a word
# that sets one replaces it whole; its entries are checked when the run is built.
REPLACED_SECTIONS = ("networks", "forward", "loss", "objective", "schedule")
#: The value of a ``section.key=none`` word, which removes a part from a :data:`SLOT_TABLES` section.
REMOVE = "none"


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping safely: plain data only, bounded as :func:`ganzoo.safe_yaml.parse_yaml` says.

    Raises:
        ConfigError: If the file is missing, unreadable, not UTF-8 text, not YAML, larger than the
            limits, or not a mapping.
    """
    path = Path(path)
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_BYTES + 1)  # bounded, so that a huge file or a device cannot fill memory
    except OSError as error:
        raise ConfigError(f"cannot read config file '{path}': {error.strerror or error}") from error
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"config file '{path}' is larger than {MAX_BYTES:,} bytes; a configuration is a few kilobytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"config file '{path}' is not UTF-8 text ({error.reason} at byte {error.start}); is it a YAML file?") from error
    data = parse_yaml(text, f"config file '{path}'")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file '{path}' must hold a mapping of keys to values, not {type(data).__name__}")
    _check_text_keys(data, f"config file '{path}'")
    return data


def _check_text_keys(data: Any, source: str) -> None:
    """Refuse keys that YAML read as numbers, booleans or null: settings and parameters are names."""
    pending, seen = [data], set()
    while pending:
        node = pending.pop()
        if id(node) in seen:  # an alias: the same object again
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            for key, value in node.items():
                if not isinstance(key, str):
                    raise ConfigError(f"{source}: the key {key!r} is not a name; write it in quotes if it is one ('{key}':)")
                pending.append(value)
        elif isinstance(node, list):
            pending.extend(node)


def check_keys(
    base: Mapping[str, Any], override: Mapping[str, Any], source: str, *, replaced: Sequence[str] = ()
) -> None:
    """Check that every key of ``override``, at every depth, is a key of ``base``.

    The walk stops at a slot of either (its parameters are checked against the part's signature
    later), at a top-level section named in ``replaced`` (taken whole, its keys being names), and at
    anything that is not a mapping in both (its value is checked by type later).

    Args:
        base: The configuration being changed.
        override: The changes, e.g. a configuration file.
        source: How messages name the changes, e.g. ``"'run.yaml'"``.
        replaced: Top-level sections that ``override`` replaces rather than merges.

    Raises:
        ConfigError: Naming every unknown key by its dotted path, with the closest keys.
    """
    problems: list[str] = []
    pending: list[tuple[list[str], Mapping[str, Any], Mapping[str, Any]]] = [([], base, override)]
    while pending:
        path, known, given = pending.pop(0)
        for key, value in given.items():
            name = str(key)
            if name not in known:
                where = f"'{name}' is not a key of {'.'.join(path)}" if path else f"'{name}' is not a setting"
                hint = did_you_mean(name, list(known)) or f" (settings: {', '.join(map(str, known)) or 'none'})"
                problems.append(f"unknown setting '{'.'.join([*path, name])}': {where}{hint}")
                continue
            inner = known[name]
            if (not path and name in replaced) or is_slot(inner) or is_slot(value):
                continue
            if isinstance(inner, Mapping) and isinstance(value, Mapping):
                pending.append(([*path, name], inner, value))
    if problems:
        raise ConfigError(f"{source}: " + "; ".join(problems))


def is_slot(value: Any) -> bool:
    """Whether a config value selects a part (a mapping with a ``name`` key)."""
    return isinstance(value, Mapping) and NAME_KEY in value


def split_words(words: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """Split command-line words into selectors (``key=value`` without a dot) and dotted settings.

    Args:
        words: Words of the form ``key=value``.

    Returns:
        ``(plain, dotted)``: a mapping of undotted keys to their raw values, and the dotted words.

    Raises:
        ConfigError: For a word without ``=`` or with an empty key.
    """
    plain: dict[str, str] = {}
    dotted: list[str] = []
    for word in words:
        key, sep, value = word.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"'{word}' is not a setting; write key=value, e.g. generator=unet or generator.ngf=32")
        if "." in key:
            dotted.append(f"{key}={value}")
        else:
            plain[key] = value
    return plain, dotted


def _check_text(key: str, raw: str) -> None:
    """Refuse a word's value that is not YAML or expands beyond the bounds, before OmegaConf reads it."""
    parse_yaml(raw, f"the value of {key}={raw}" if len(raw) <= 60 else f"the value of {key}")


def _replaces_section(config: dict[str, Any], key: str, raw: str) -> bool:
    """Apply a word at once when it replaces a mapping rather than merging into it.

    The :data:`REPLACED_SECTIONS` are replaced whole, as a recipe or file that sets them replaces
    them (``networks={G: generator, D: discriminator}``); a mapping set to something else
    (``networks=[]``) is replaced too, so that the settings' schema can say what it expects.

    Returns:
        Whether the word was applied.
    """
    _check_text(key, raw)
    path = key.split(".")
    node: Any = config
    for part in path:  # a parameter a slot does not hold yet has no value to compare with
        node = node.get(part) if isinstance(node, Mapping) else None
    if not isinstance(node, Mapping):
        return False
    value = parse_yaml(raw, f"the value of {key}")
    if isinstance(value, Mapping) and not (len(path) == 1 and key in REPLACED_SECTIONS):
        return False  # merged key by key, as OmegaConf merges a mapping
    # Replaced: a named section by a mapping, or a mapping by what is not one, which the settings'
    # schema then refuses with what it expects (a merge could only say that it cannot merge).
    _walk(config, path[:-1])[path[-1]] = _plain(value)
    return True


def apply_words(base: Mapping[str, Any], words: Sequence[str]) -> dict[str, Any]:
    """Apply command-line words to a base configuration.

    A word whose key names a slot (``generator=unet``, ``loss.adversarial=hinge``) selects a part,
    a word naming a new key of a :data:`SLOT_TABLES` section (``schedule.ema=ema``) adds one, and
    ``none`` for a key of such a section (``schedule.decay=none``) removes it; every other word sets a
    value. Additions and removals are applied first, then selections and values.

    Args:
        base: The configuration the words modify (a recipe, a build spec, defaults).
        words: ``key=value`` words.

    Returns:
        A new plain ``dict``; ``base`` is not modified.

    Raises:
        ConfigError: For a key the base does not have (with the closest ones), or a malformed word.
    """
    config = OmegaConf.to_container(OmegaConf.create(dict(base)), resolve=False)
    assert isinstance(config, dict)
    plain, dotted = split_words(words)
    pairs = [*plain.items(), *(word.split("=", 1) for word in dotted)]
    removed: set[str] = set()
    for key, raw in pairs:  # new and removed slots first, so that parameters can come in any order
        path = key.split(".")
        table = config.get(path[0]) if len(path) == 2 and path[0] in SLOT_TABLES else None
        if not isinstance(table, dict):
            continue
        if raw.strip() == REMOVE:
            if path[1] not in table:
                raise ConfigError(f"{key}={REMOVE}: {path[0]} has no part '{path[1]}' to remove (it has {', '.join(table) or 'none'}){did_you_mean(path[1], table)}")
            del table[path[1]]
            removed.add(key)
        elif path[1] not in table:
            table[path[1]] = {NAME_KEY: raw.strip()}
    settings: list[str] = []
    for key, raw in pairs:
        if key in removed:
            continue
        path = key.split(".")
        node = _check_path(config, path)
        if is_slot(node):
            name = raw.strip()
            if node[NAME_KEY] != name:
                parent = _walk(config, path[:-1])
                parent[path[-1]] = {NAME_KEY: name}
        else:
            settings.append(f"{key}={raw}")
    settings = [word for word in settings if not _replaces_section(config, *word.split("=", 1))]
    if settings:
        try:
            merged = OmegaConf.merge(OmegaConf.create(config), OmegaConf.from_dotlist(settings))
        except (OmegaConfBaseException, TypeError, ValueError) as error:  # e.g. a list set over a mapping
            message = " ".join(str(error).split())
            raise ConfigError(f"cannot apply {' '.join(settings)}: {message}") from error
        config = OmegaConf.to_container(merged, resolve=False)
    return config


def _walk(config: Mapping[str, Any], path: list[str]) -> Any:
    node: Any = config
    for part in path:
        node = node[part]
    return node


def _check_path(config: Mapping[str, Any], path: list[str]) -> Any:
    """Check that ``path`` names an existing setting and return its value.

    Inside a slot any key is accepted (a part's parameters are checked against its signature when
    it is built); ``None`` is returned for a key the slot does not hold yet.
    """
    node: Any = config
    for depth, part in enumerate(path):
        if is_slot(node) and depth > 0:
            return node.get(part) if depth == len(path) - 1 else None
        if not isinstance(node, Mapping) or part not in node:
            options = list(node) if isinstance(node, Mapping) else []
            hint = did_you_mean(part, options) or (f" (settings: {', '.join(options)})" if options else "")
            where = f": '{part}' is not a key of {'.'.join(path[:depth])}" if depth else ""
            if depth == 1 and path[0] in SLOT_TABLES:
                hint += f"; add one with {path[0]}.{part}=NAME"
            raise ConfigError(f"unknown setting '{'.'.join(path)}'{where}{hint}")
        node = node[part]
    return node


def slot_params(slot: Mapping[str, Any]) -> dict[str, Any]:
    """A slot's parameters: everything but its ``name``."""
    return {key: value for key, value in slot.items() if key != NAME_KEY}


#: The name that switches an optional slot (``augment``, ``tracker``) off.
OFF = "none"


def optional_slot(config: Mapping[str, Any], key: str, *, what: str, choose: str) -> tuple[str, dict[str, Any]] | None:
    """The name and parameters of the optional slot ``config[key]``; ``None`` when it is off (or absent).

    Args:
        config: The run's configuration.
        key: The slot's key.
        what: What the slot holds, for the message (``"augmentation"``).
        choose: How to choose one, for the message (``"add augment=diffaugment or augment=ada"``).

    Raises:
        ConfigError: If the slot is off but has parameters: a setting that would do nothing.
    """
    slot = dict(config.get(key) or {NAME_KEY: OFF})
    name, params = str(slot[NAME_KEY]), slot_params(slot)
    if name != OFF:
        return name, params
    if params:
        raise ConfigError(f"{key}.{next(iter(params))} is set, but no {what} is chosen; {choose}")
    return None


def to_yaml(config: Mapping[str, Any] | DictConfig) -> str:
    """Render a configuration as YAML (tuples become lists)."""
    return OmegaConf.to_yaml(OmegaConf.create(_plain(config)), sort_keys=False)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
