"""Reading a part's parameters from its signature, and checking values against them.

A part documents itself: its factory's signature gives each parameter's name, type and default, and
user input is checked against that before anything is built. Values from the command line arrive
already typed by the config library (``32`` is an int, ``true`` a bool); this module only checks and
makes the safe conversions (an int where a float is expected, a list where a tuple is).
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Union

from ganzoo.errors import ParameterError, did_you_mean

_EMPTY = inspect.Parameter.empty


@dataclass(frozen=True)
class Parameter:
    """One parameter of a part.

    Attributes:
        name: The keyword the factory takes.
        annotation: The type hint, or ``typing.Any`` when the factory gives none.
        default: The default value, or :data:`inspect.Parameter.empty` when the parameter is required.
    """

    name: str
    annotation: Any
    default: Any

    @property
    def required(self) -> bool:
        """Whether the parameter has no default."""
        return self.default is _EMPTY

    @property
    def type_name(self) -> str:
        """The type hint as users read it, e.g. ``int`` or ``Literal['batch', 'instance']``."""
        return type_name(self.annotation)


def signature_parameters(factory: Callable[..., Any]) -> tuple[Parameter, ...]:
    """Read the keyword parameters of a class or function.

    Args:
        factory: A class (its ``__init__`` is read) or a function.

    Returns:
        The parameters in signature order; ``*args`` and ``**kwargs`` are left out.
    """
    target = factory.__init__ if inspect.isclass(factory) else factory
    signature = inspect.signature(target)
    try:
        hints = typing.get_type_hints(target)
    except Exception:  # noqa: BLE001  (unresolvable forward references: fall back to the raw annotations
        hints = {}
    parameters = []
    for parameter in signature.parameters.values():
        if parameter.name == "self" or parameter.kind in (
            inspect.Parameter.VAR_POSITIONAL,
            inspect.Parameter.VAR_KEYWORD,
        ):
            continue
        annotation = hints.get(parameter.name, parameter.annotation)
        parameters.append(
            Parameter(parameter.name, Any if annotation is _EMPTY else annotation, parameter.default)
        )
    return tuple(parameters)


def accepts_any_keyword(factory: Callable[..., Any]) -> bool:
    """Whether the factory takes ``**kwargs`` (then unknown names cannot be refused up front)."""
    target = factory.__init__ if inspect.isclass(factory) else factory
    return any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in inspect.signature(target).parameters.values()
    )


def type_name(annotation: Any) -> str:
    """Render a type hint the way a user writes it."""
    if annotation is Any:
        return "any"
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def check_value(annotation: Any, value: Any) -> Any:
    """Check ``value`` against a type hint and return it, converted where the conversion is safe.

    Args:
        annotation: A type hint: a plain type, ``Literal``, ``Optional``/``Union``, ``list``/``tuple``/
            ``Sequence`` (with item types), ``dict``/``Mapping`` or ``Any``.
        value: The value to check.

    Returns:
        The value, possibly converted (int → float, list → tuple).

    Raises:
        TypeError: If the value does not fit; the message says what was expected.
    """
    if annotation is Any or annotation is _EMPTY:
        return value
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Literal:
        if value in args:
            return value
        raise TypeError(f"expected one of {', '.join(repr(a) for a in args)}")
    if origin in (Union, types.UnionType):
        for option in args:
            try:
                return check_value(option, value)
            except TypeError:
                continue
        raise TypeError(f"expected {type_name(annotation)}")
    if annotation is type(None):
        if value is None:
            return None
        raise TypeError("expected null")
    if annotation is bool:
        if isinstance(value, bool):
            return value
        raise TypeError("expected a boolean (true or false)")
    if annotation is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise TypeError("expected an integer")
    if annotation is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise TypeError("expected a number")
    if annotation is str:
        if isinstance(value, str):
            return value
        raise TypeError("expected a string")
    if origin in (list, tuple, Sequence, typing.Sequence) or annotation in (list, tuple):
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise TypeError(f"expected a list ({type_name(annotation)})")
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(args) != len(value):
                raise TypeError(f"expected {len(args)} items ({type_name(annotation)})")
            items = [check_value(a, v) for a, v in zip(args, value)]
        else:
            item_type = args[0] if args else Any
            items = [check_value(item_type, v) for v in value]
        return tuple(items) if (origin is tuple or annotation is tuple) else list(items)
    if origin in (dict, Mapping, typing.Mapping) or annotation is dict:
        if not isinstance(value, Mapping):
            raise TypeError("expected a mapping")
        return dict(value)
    if isinstance(annotation, type):
        if isinstance(value, annotation):
            return value
        raise TypeError(f"expected {type_name(annotation)}")
    return value  # an annotation this checker does not understand: let the factory decide


def check_parameters(
    owner: str,
    parameters: Sequence[Parameter],
    values: Mapping[str, Any],
    *,
    open_keywords: bool = False,
) -> dict[str, Any]:
    """Check a set of values against a part's parameters.

    Args:
        owner: How to name the part in messages, e.g. ``"generator 'unet'"``.
        parameters: The part's parameters.
        values: The values the user gave.
        open_keywords: Whether the factory takes ``**kwargs`` (unknown names then pass through).

    Returns:
        The checked (and safely converted) values.

    Raises:
        ParameterError: Naming every unknown, ill-typed or missing parameter and the valid ones.
    """
    by_name = {p.name: p for p in parameters}
    problems: list[str] = []
    checked: dict[str, Any] = {}
    for name, value in values.items():
        parameter = by_name.get(name)
        if parameter is None:
            if open_keywords:
                checked[name] = value
                continue
            problems.append(f"unknown parameter '{name}'{did_you_mean(name, by_name)}")
            continue
        try:
            checked[name] = check_value(parameter.annotation, value)
        except TypeError as error:
            problems.append(f"{name}={value!r}: {error}")
    missing = [p.name for p in parameters if p.required and p.name not in values]
    problems.extend(f"missing required parameter '{name}'" for name in missing)
    if problems:
        valid = ", ".join(f"{p.name}: {p.type_name}" for p in parameters) or "none"
        raise ParameterError(f"{owner}: " + "; ".join(problems) + f". Valid parameters: {valid}.")
    return checked


def check_positive(owner: str | None = None, /, **values: float) -> None:
    """Refuse sizes, counts and rates that are zero or negative.

    Args:
        owner: How messages name the part (``None`` when the registry adds the part's name).
        **values: The values to check, by parameter name.

    Raises:
        ParameterError: Naming the first value that is not strictly positive.
    """
    for name, value in values.items():
        if value <= 0:
            prefix = f"{owner}: " if owner else ""
            raise ParameterError(f"{prefix}{name}={value!r} must be a positive number")
