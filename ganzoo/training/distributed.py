"""Data-parallel training on PyTorch's own distributed engine, launched by ``torchrun``.

``torchrun --nproc_per_node=N -m ganzoo train …`` (or the ``ganzoo`` script under torchrun) starts N
processes; each reads the environment torchrun sets and joins one process group (NCCL on CUDA, gloo on
the CPU). Every process trains on its own share of each epoch, and after every backward pass the
gradients of the networks being updated are averaged across processes with ``all_reduce``, so every
replica takes the same optimiser step and the replicas stay identical.

Gradients are averaged explicitly rather than through the ``DistributedDataParallel`` wrapper because a
GAN step uses its networks in ways that wrapper's reducer does not expect: the discriminator runs
frozen (no gradients for it) inside the generator's update, and gradient penalties differentiate
twice. Averaging after ``backward`` is the same synchronous data parallelism, bucketed into a few
collective calls.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from ganzoo.errors import GanzooError

#: Gradients are reduced in buckets of about this many elements.
BUCKET_ELEMENTS = 8 * 1024 * 1024


class DistributedError(GanzooError):
    """Processes of one run that disagree (their replicas drifted apart)."""


@dataclass(frozen=True)
class ProcessGroup:
    """Where this process stands in the run: ``world_size`` processes, this one ``rank``."""

    world_size: int = 1
    rank: int = 0
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        """Whether more than one process trains."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Whether this process writes the run's outputs (rank 0)."""
        return self.rank == 0


def join_process_group(device_type: str) -> ProcessGroup:
    """Join the process group torchrun describes in the environment; a single process otherwise.

    Args:
        device_type: ``"cuda"`` selects the NCCL backend, anything else gloo.
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return ProcessGroup()
    group = ProcessGroup(world_size, int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0")))
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device_type == "cuda" else "gloo")
    return group


def is_main_launch() -> bool:
    """Whether this process will be the main one (rank 0, or the only one), before any group is joined."""
    return int(os.environ.get("RANK", "0")) == 0


def leave_process_group() -> None:
    """Leave the process group, if this process joined one."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def broadcast_module(module: nn.Module) -> None:
    """Make every replica hold rank 0's parameters and buffers."""
    for tensor in [*module.parameters(), *module.buffers()]:
        dist.broadcast(tensor.data, src=0)


def average_gradients(modules: Iterable[nn.Module], world_size: int) -> None:
    """Average the gradients of ``modules`` across processes, in place."""
    grads = [p.grad for m in modules for p in m.parameters() if p.grad is not None]
    bucket: list[torch.Tensor] = []
    size = 0
    for grad in grads:
        bucket.append(grad)
        size += grad.numel()
        if size >= BUCKET_ELEMENTS:
            _reduce_bucket(bucket, world_size)
            bucket, size = [], 0
    if bucket:
        _reduce_bucket(bucket, world_size)


def _reduce_bucket(bucket: list[torch.Tensor], world_size: int) -> None:
    flat = torch.cat([grad.reshape(-1) for grad in bucket])
    dist.all_reduce(flat)
    flat /= world_size
    offset = 0
    for grad in bucket:
        grad.copy_(flat[offset : offset + grad.numel()].view_as(grad))
        offset += grad.numel()


def any_process(flag: bool, device: torch.device) -> bool:
    """Whether ``flag`` is true on at least one process (e.g. a stop request)."""
    value = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item() > 0)


def gather_objects(value: Any) -> list[Any]:
    """Every process's ``value``, in rank order (on every process)."""
    values: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(values, value)
    return values


def check_replicas_agree(modules: dict[str, nn.Module]) -> None:
    """Compare a checksum of every network across processes.

    Raises:
        DistributedError: If a replica's weights differ from rank 0's.
    """
    sums = {
        name: float(sum(p.detach().double().sum().item() for p in module.parameters()))
        for name, module in modules.items()
    }
    every = gather_objects(sums)
    for rank, other in enumerate(every[1:], start=1):
        for name, value in other.items():
            if value != every[0][name]:
                raise DistributedError(
                    f"the '{name}' network of process {rank} differs from process 0's ({value!r} != {every[0][name]!r}); "
                    "the replicas drifted apart, so the run was stopped"
                )
