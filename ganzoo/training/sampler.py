"""A sampler whose order can be restarted in the middle of an epoch.

Each epoch's order is a permutation drawn from ``seed + epoch``, so it depends on nothing else, and a
resumed run continues from the very batch the checkpoint was taken before.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch.utils.data import Sampler


class ResumableSampler(Sampler[int]):
    """Shuffles ``length`` indices per epoch; starts part-way through an epoch after a resume.

    Args:
        length: Number of items in the data set.
        seed: Base seed; epoch ``e`` uses ``seed + e``.
        shuffle: Draw a permutation; ``False`` keeps the data set's order.
        num_replicas: Number of processes sharing the data (each sees every ``num_replicas``-th index).
        rank: This process's index among them.
    """

    def __init__(self, length: int, *, seed: int = 0, shuffle: bool = True, num_replicas: int = 1, rank: int = 0) -> None:
        self.length = length
        self.seed = seed
        self.shuffle = shuffle
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.start = 0

    def set_position(self, epoch: int, start: int = 0) -> None:
        """Make the next iteration yield epoch ``epoch`` from its ``start``-th index on (per process)."""
        self.epoch = epoch
        self.start = start

    def _order(self) -> list[int]:
        if not self.shuffle:
            order = list(range(self.length))
        else:
            generator = torch.Generator().manual_seed(self.seed + self.epoch)
            order = torch.randperm(self.length, generator=generator).tolist()
        usable = self.length - self.length % self.num_replicas  # every process gets as many
        return order[self.rank : usable : self.num_replicas]

    def __iter__(self) -> Iterator[int]:
        order = self._order()
        start, self.start = self.start, 0  # only the first iteration after a resume skips
        return iter(order[start:])

    def __len__(self) -> int:
        return self.length // self.num_replicas
