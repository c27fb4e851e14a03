"""The data flow of a training step: which network makes which tensor from which.

A recipe's ``forward`` section names the tensors a step computes, each from the batch, from sampled
noise, or from other computed tensors::

    forward:
      fake_B: {net: G_AB, inputs: {source: A}}      # G_AB's input "source" is the batch's "A"
      rec_A:  {net: G_BA, inputs: {source: fake_B}}
      code:   {net: G, method: encode, inputs: {exemplar: fake}}
      fake:   {blend: {inside: raw, outside: source, mask: mask}}

A network input not named in ``inputs`` takes the tensor of the same name; ``z`` is standard normal
noise drawn for the network's ``latent_dim``. Tensors are computed on first use and kept for the
rest of the step, so a tensor no loss asks for (an identity mapping whose weight is 0, say) costs
nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from ganzoo.contracts import GanNetwork
from ganzoo.errors import ConfigError, did_you_mean
from ganzoo.vocabulary import NOISE


@dataclass(frozen=True)
class Computation:
    """One entry of ``forward``: a network call or a masked blend."""

    name: str
    net: str | None = None
    method: str = "forward"
    inputs: dict[str, str] = field(default_factory=dict)
    blend: dict[str, str] = field(default_factory=dict)

    def sources(self, networks: Mapping[str, GanNetwork]) -> list[str]:
        """The tensors this computation reads."""
        if self.blend:
            return [self.blend[key] for key in ("inside", "outside", "mask")]
        network = networks[self.net]  # type: ignore[index]
        if self.method != "forward":
            return list(self.inputs.values())
        return [self.inputs.get(name, name) for name in network.inputs]


def parse_forward(forward: Mapping[str, Any], networks: Mapping[str, GanNetwork]) -> dict[str, Computation]:
    """Read and check a recipe's ``forward`` section.

    Raises:
        ConfigError: For an unknown network, method or network input, or a malformed entry.
    """
    computations: dict[str, Computation] = {}
    for name, entry in forward.items():
        if not isinstance(entry, Mapping) or ("net" in entry) == ("blend" in entry):
            raise ConfigError(f"forward.{name} must be {{net: NAME, inputs: {{...}}}} or {{blend: {{inside, outside, mask}}}}")
        if "blend" in entry:
            blend = dict(entry["blend"])
            missing = {"inside", "outside", "mask"} - set(blend)
            if missing:
                raise ConfigError(f"forward.{name}.blend needs inside, outside and mask (missing: {', '.join(sorted(missing))})")
            computations[name] = Computation(name, blend=blend)
            continue
        net = str(entry["net"])
        if net not in networks:
            raise ConfigError(f"forward.{name}: unknown network '{net}'{did_you_mean(net, networks)} (networks: {', '.join(networks)})")
        method = str(entry.get("method", "forward"))
        if not callable(getattr(networks[net], method, None)):
            raise ConfigError(f"forward.{name}: network '{net}' has no method '{method}'")
        inputs = {str(k): str(v) for k, v in dict(entry.get("inputs") or {}).items()}
        if method == "forward":
            unknown = set(inputs) - set(networks[net].inputs)
            if unknown:
                raise ConfigError(
                    f"forward.{name}: network '{net}' takes {', '.join(networks[net].inputs)}, "
                    f"not {', '.join(sorted(unknown))}"
                )
        computations[name] = Computation(name, net=net, method=method, inputs=inputs)
    return computations


def check_sources(
    computations: Mapping[str, Computation],
    networks: Mapping[str, GanNetwork],
    available: Iterable[str],
    used: Iterable[tuple[str, str]],
) -> None:
    """Check that every tensor read exists and that no computation depends on itself.

    Args:
        computations: The parsed ``forward`` section.
        networks: The run's networks.
        available: The batch's keys.
        used: ``(where, tensor)`` for every tensor a loss or a sample grid reads.

    Raises:
        ConfigError: Naming the reader and the tensors that exist.
    """
    known = set(available) | set(computations) | {NOISE}

    def check(where: str, tensor: str) -> None:
        if tensor not in known:
            raise ConfigError(
                f"{where} reads '{tensor}'{did_you_mean(tensor, known)}, which is neither in the batch "
                f"({', '.join(sorted(set(available)))}) nor computed in forward ({', '.join(computations) or 'nothing'})"
            )

    for computation in computations.values():
        for source in computation.sources(networks):
            check(f"forward.{computation.name}", source)
    for where, tensor in used:
        check(where, tensor)

    visiting: set[str] = set()
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in done or name not in computations:
            return
        if name in visiting:
            raise ConfigError(f"forward.{name} depends on itself")
        visiting.add(name)
        for source in computations[name].sources(networks):
            visit(source)
        visiting.discard(name)
        done.add(name)

    for name in computations:
        visit(name)


class StepTensors:
    """The tensors of one step: the batch, then whatever ``forward`` computes, on demand.

    Args:
        batch: The batch's tensors, on the training device.
        computations: The parsed ``forward`` section.
        networks: The run's networks.
        noise: Draws ``(batch_size, latent_dim)`` noise.
    """

    def __init__(
        self,
        batch: Mapping[str, torch.Tensor],
        computations: Mapping[str, Computation],
        networks: Mapping[str, GanNetwork],
        noise: Callable[[int, int], torch.Tensor],
    ) -> None:
        self.values: dict[str, torch.Tensor] = dict(batch)
        self.computations = computations
        self.networks = networks
        self.noise = noise
        self.batch_size = next(iter(batch.values())).shape[0]

    def __getitem__(self, name: str) -> torch.Tensor:
        if name not in self.values:
            self.values[name] = self._compute(name)
        return self.values[name]

    def __contains__(self, name: str) -> bool:
        return name in self.values or name in self.computations

    def _noise_for(self, network: GanNetwork) -> torch.Tensor:
        key = f"{NOISE}:{getattr(network, 'latent_dim', 0)}"
        if key not in self.values:
            self.values[key] = self.noise(self.batch_size, int(network.latent_dim))
        return self.values[key]

    def _compute(self, name: str) -> torch.Tensor:
        computation = self.computations[name]  # names were checked when the run was set up
        if computation.blend:
            mask = self[computation.blend["mask"]]
            return mask * self[computation.blend["inside"]] + (1 - mask) * self[computation.blend["outside"]]
        network = self.networks[computation.net]  # type: ignore[index]
        if computation.method != "forward":
            return getattr(network, computation.method)(*(self[source] for source in computation.inputs.values()))
        arguments = []
        for input_name in network.inputs:
            source = computation.inputs.get(input_name, input_name)
            arguments.append(self._noise_for(network) if source == NOISE else self[source])
        return network(*arguments)
