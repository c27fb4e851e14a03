"""The contracts: every core kind's parts build what the kind needs, and only the contracts are shared."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from ganzoo import hookimpl
from ganzoo.cli import main
from ganzoo.contracts import KIND_CONTRACTS, AdversarialLoss, GanNetwork, check_contract
from ganzoo.errors import IncompatiblePartsError, PartContractError
from ganzoo.plugins import PluginHost, set_host
from ganzoo.registry import Registry

REPO = Path(__file__).resolve().parents[1]


class TinyGenerator(GanNetwork):
    """A generator that fulfils the contract.

    Args:
        latent_dim: Size of the noise.
    """

    inputs = ("z",)

    def __init__(self, *, latent_dim: int = 4) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.layer = nn.Linear(latent_dim, 4)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.layer(z).view(-1, 1, 2, 2).tanh()

    def example_inputs(self, batch_size: int = 2) -> tuple[torch.Tensor, ...]:
        return (torch.randn(batch_size, self.latent_dim),)


def plain_linear(*, width: int = 4) -> nn.Module:
    """A module that is not a GanNetwork."""
    return nn.Linear(width, width)


def nothing() -> None:
    """A factory that forgets to return."""


def test_every_built_in_part_builds_its_kinds_contract() -> None:
    registry = PluginHost(third_party=False).registry
    # The built-in zoo uses exactly the checked kinds, but for trackers, which come from plugins.
    assert set(KIND_CONTRACTS) - set(registry.kinds()) == {"tracker"} and set(registry.kinds()) <= set(KIND_CONTRACTS)
    for part in registry.list():
        if part.kind == "recipe":  # data, not a class: what building it gives is checked
            assert isinstance(part.build(), KIND_CONTRACTS["recipe"]), part.label
        else:
            assert issubclass(part.factory, KIND_CONTRACTS[part.kind]), part.label


def test_a_recipe_that_is_not_a_mapping_is_named_with_what_the_kind_needs() -> None:
    registry = Registry()
    registry.register("recipe", "listed", lambda: [1, 2], plugin="odd-plugin")
    with pytest.raises(PartContractError, match=r"built a list, but a recipe must be an instance of collections\.abc\.Mapping"):
        registry.get("recipe", "listed").build()


def test_a_factory_that_builds_the_wrong_thing_is_one_error_naming_everything() -> None:
    registry = Registry()
    registry.register("generator", "linear", plain_linear, plugin="odd-plugin")
    registry.register("loss", "nothing", nothing, plugin="odd-plugin")
    with pytest.raises(PartContractError) as caught:
        registry.get("generator", "linear").build(width=2)
    message = str(caught.value)
    assert message.startswith(f"generator 'linear' from 'odd-plugin' ({__name__}:plain_linear) built a torch.nn.modules.linear.Linear")
    assert "a generator must be an instance of ganzoo.contracts.GanNetwork (or of a subclass)" in message
    assert isinstance(caught.value, IncompatiblePartsError)  # what network checks raised before
    expected = "built None, but a loss must be an instance of ganzoo.contracts.AdversarialLoss, ganzoo.contracts.Penalty or ganzoo.contracts.ReconstructionLoss"
    with pytest.raises(PartContractError, match=expected):
        registry.get("loss", "nothing").build()


def test_parts_that_fulfil_the_contract_and_kinds_without_one_build() -> None:
    registry = Registry()
    registry.register("generator", "tiny", TinyGenerator, plugin="good-plugin")
    registry.register("widget", "linear", plain_linear, plugin="good-plugin")  # a kind of its own
    assert isinstance(registry.get("generator", "tiny").build(latent_dim=3), TinyGenerator)
    assert isinstance(registry.get("widget", "linear").build(), nn.Linear)
    part = registry.get("generator", "tiny")
    built = TinyGenerator()
    assert check_contract(part, built) is built


def test_ganzoo_build_reports_a_broken_network_part_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    class Broken:
        @hookimpl
        def ganzoo_register_parts(self, register):
            register("generator", "linear", plain_linear)

    host = PluginHost(third_party=False)
    host.add_plugin(Broken(), "broken", distribution="ganzoo-broken-parts")
    previous = set_host(host)
    try:
        assert main(["build", "generator=linear", "discriminator=mlp"]) == 2
    finally:
        set_host(previous)
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "generator 'linear' from 'ganzoo-broken-parts'" in lines[0] and "GanNetwork" in lines[0]


def test_the_old_import_locations_still_give_the_contracts() -> None:
    import ganzoo.data.base
    import ganzoo.metrics
    import ganzoo.network
    import ganzoo.zoo.losses
    import ganzoo.zoo.schedules
    from ganzoo.training.schedule_set import CombinedSchedule

    assert ganzoo.network.GanNetwork is GanNetwork
    assert ganzoo.zoo.losses.AdversarialLoss is AdversarialLoss
    assert ganzoo.zoo.losses.Penalty is ganzoo.contracts.Penalty
    assert ganzoo.zoo.losses.ReconstructionLoss is ganzoo.contracts.ReconstructionLoss
    assert ganzoo.zoo.schedules.Schedule is ganzoo.contracts.Schedule
    assert ganzoo.zoo.schedules.CombinedSchedule is CombinedSchedule
    assert ganzoo.data.base.GanDataset is ganzoo.contracts.GanDataset
    assert ganzoo.metrics.Measure is ganzoo.contracts.Measure
    assert ganzoo.metrics.FeatureExtractor is ganzoo.contracts.FeatureExtractor


def test_importing_the_contracts_imports_no_built_in_part() -> None:
    code = (
        "import sys, ganzoo.contracts; "
        "print(sorted(m for m in sys.modules if m.startswith(('ganzoo.zoo', 'ganzoo.data', 'ganzoo.metrics', 'ganzoo.training'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def _imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def test_code_outside_the_zoo_imports_the_contracts_never_the_zoo() -> None:
    sources = [p for p in (REPO / "ganzoo").rglob("*.py") if "zoo" not in p.relative_to(REPO / "ganzoo").parts]
    sources += list((REPO / "plugins" / "ganzoo-example").rglob("*.py"))
    offenders = {
        str(path.relative_to(REPO)): sorted(m for m in _imported_modules(path) if m == "ganzoo.zoo" or m.startswith("ganzoo.zoo."))
        for path in sources
    }
    assert {path: modules for path, modules in offenders.items() if modules} == {}
