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

Configurations are data: YAML is read with ``safe_load`` and OmegaConf's interpolations
(``${...}``, including resolvers such as ``oc.env``) are never resolved, so a value is exactly the text
it was given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from ganzoo.errors import ConfigError, did_you_mean

NAME_KEY = "name"
#: Sections holding any number of slots by key, to which a ``section.key=name`` word adds one.
SLOT_TABLES = ("loss", "schedule")
#: The value of a ``section.key=none`` word, which removes a part from a :data:`SLOT_TABLES` section.
REMOVE = "none"


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping safely (plain data only: no tags, nothing evaluated).

    Raises:
        ConfigError: If the file is missing, unreadable, not YAML, or not a mapping.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read config file '{path}': {error.strerror or error}") from error
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"config file '{path}' is not valid YAML: {error}") from error
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file '{path}' must hold a mapping of keys to values, not {type(data).__name__}")
    return data


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


def _parse_value(key: str, raw: str) -> Any:
    try:
        return OmegaConf.from_dotlist([f"{key}={raw}"])[key]
    except OmegaConfBaseException as error:
        raise ConfigError(f"cannot read the value of {key}={raw}: {error}") from error


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
    if settings:
        try:
            merged = OmegaConf.merge(OmegaConf.create(config), OmegaConf.from_dotlist(settings))
        except OmegaConfBaseException as error:
            raise ConfigError(f"cannot apply {' '.join(settings)}: {error}") from error
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


def to_yaml(config: Mapping[str, Any] | DictConfig) -> str:
    """Render a configuration as YAML (tuples become lists)."""
    return OmegaConf.to_yaml(OmegaConf.create(_plain(config)), sort_keys=False)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
