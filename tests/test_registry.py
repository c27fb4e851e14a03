"""The registry: metadata read from factories, look-up errors, listing, duplicates, parameter checks.

The parts here are of kinds without a contract (see tests/test_contracts.py), so any factory builds.
"""

from __future__ import annotations

from typing import Literal

import pytest

from ganzoo.errors import DuplicatePartError, ParameterError, UnknownPartError
from ganzoo.registry import Part, Registry


class Widget:
    """Make a widget for testing.

    Longer text that is not part of the summary.

    Args:
        size: How big.
        mode: Which mode.
        scale: A factor.
    """

    def __init__(self, *, size: int = 4, mode: Literal["a", "b"] = "a", scale: float = 1.0, flag: bool = False) -> None:
        if size <= 0:
            raise ValueError(f"size={size} must be positive")
        self.size, self.mode, self.scale, self.flag = size, mode, scale, flag


def make_thing(*, count: int, names: tuple[int, ...] = (1, 2)) -> dict:
    """Build a thing from a function."""
    return {"count": count, "names": names}


@pytest.fixture
def registry() -> Registry:
    registry = Registry()
    registry.register("widget", "unet", Widget, plugin="ganzoo", tags=["image-to-image"])
    registry.register("widget", "resnet", Widget, plugin="ganzoo")
    registry.register("widget", "dcgan", Widget, plugin="ganzoo")
    registry.register("thing", "thing", make_thing, plugin="other-dist")
    return registry


def test_metadata_is_read_from_the_factory(registry: Registry) -> None:
    part = registry.get("widget", "unet")
    assert part.summary == "Make a widget for testing."
    assert "Longer text" in part.doc
    assert part.plugin == "ganzoo"
    assert part.tags == ("image-to-image",)
    assert [(p.name, p.type_name, p.default) for p in part.parameters] == [
        ("size", "int", 4),
        ("mode", "Literal['a', 'b']", "a"),
        ("scale", "float", 1.0),
        ("flag", "bool", False),
    ]
    assert part.source.endswith(":Widget")
    function_part = registry.get("thing", "thing")
    assert function_part.parameters[0].required


def test_unknown_name_suggests_the_closest_and_the_list_command(registry: Registry) -> None:
    with pytest.raises(UnknownPartError) as caught:
        registry.get("widget", "unte")
    message = str(caught.value)
    assert "unknown widget 'unte'; did you mean 'unet'?" in message
    assert "ganzoo list widget" in message


def test_unknown_kind_suggests_the_closest(registry: Registry) -> None:
    with pytest.raises(UnknownPartError, match="unknown kind 'widgt'; did you mean 'widget'"):
        registry.get("widgt", "unet")


def test_listing_filters_by_kind_and_glob(registry: Registry) -> None:
    assert [p.name for p in registry.list("widget")] == ["dcgan", "resnet", "unet"]
    assert [p.name for p in registry.list("widget", "*net")] == ["resnet", "unet"]
    assert [(p.kind, p.name) for p in registry.list(pattern="t*")] == [("thing", "thing")]
    assert registry.kinds() == ["thing", "widget"]
    assert len(registry) == 4


def test_new_kinds_need_no_change_to_the_registry(registry: Registry) -> None:
    registry.register("gadget", "fid", make_thing, plugin="gadgets-plugin")
    registry.register("generator", "mlp", make_thing, plugin="ganzoo")
    assert registry.kinds() == ["generator", "gadget", "thing", "widget"]  # the core kinds first
    assert registry.get("gadget", "fid").plugin == "gadgets-plugin"


def test_duplicate_names_name_both_plugins(registry: Registry) -> None:
    with pytest.raises(DuplicatePartError) as caught:
        registry.register("widget", "unet", make_thing, plugin="ganzoo-example")
    assert "'ganzoo'" in str(caught.value) and "'ganzoo-example'" in str(caught.value)


def test_parameters_are_checked_before_building(registry: Registry) -> None:
    part = registry.get("widget", "unet")
    assert part.build(size=8, scale=2).scale == 2.0  # an int is a valid float
    with pytest.raises(ParameterError) as caught:
        part.build(sise=8)
    message = str(caught.value)
    assert "unknown parameter 'sise'; did you mean 'size'?" in message
    assert "Valid parameters: size: int, mode: Literal['a', 'b'], scale: float, flag: bool" in message
    with pytest.raises(ParameterError, match=r"size='big': expected an integer"):
        part.build(size="big")
    with pytest.raises(ParameterError, match=r"mode='c': expected one of 'a', 'b'"):
        part.build(mode="c")
    with pytest.raises(ParameterError, match=r"flag=1: expected a boolean"):
        part.build(flag=1)
    with pytest.raises(ParameterError, match="missing required parameter 'count'"):
        registry.get("thing", "thing").build()
    assert registry.get("thing", "thing").build(count=1, names=[3, 4])["names"] == (3, 4)


def test_a_factory_refusing_a_value_is_a_parameter_error(registry: Registry) -> None:
    with pytest.raises(ParameterError, match="widget 'unet': size=0 must be positive"):
        registry.get("widget", "unet").build(size=0)


def test_find_returns_every_kind_with_that_name() -> None:
    registry = Registry()
    registry.add(Part.from_factory("generator", "mlp", Widget, plugin="ganzoo"))
    registry.add(Part.from_factory("discriminator", "mlp", Widget, plugin="ganzoo"))
    assert [p.kind for p in registry.find("mlp")] == ["generator", "discriminator"]


def test_a_part_with_a_parameter_called_name_is_refused_when_used() -> None:
    from ganzoo.errors import PartContractError

    def tracker_like(*, name: str = "run") -> object:
        """A factory whose parameter no slot could set: name is the slot's own key."""
        return object()

    part = Part.from_factory("tracker", "clash", tracker_like, plugin="ganzoo-clash")
    with pytest.raises(PartContractError, match="has a parameter called 'name'.*must call it something else"):
        part.check({})
