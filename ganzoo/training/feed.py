"""The batches a run trains on: shuffled per epoch, split over processes, resumable mid-epoch."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import torch
from torch.utils.data import DataLoader

from ganzoo.errors import ConfigError
from ganzoo.training.distributed import ProcessGroup
from ganzoo.training.sampler import ResumableSampler


class BatchFeed:
    """Feeds a run's batches and counts its epochs.

    Args:
        dataset: The training data set.
        train: The run's ``train`` settings (``batch_size``, ``seed``, ``num_workers``).
        group: The process group; each process gets its own share of every epoch.
        device: The training device (pinned memory on CUDA).

    Attributes:
        loader: The data loader.
        sampler: Its sampler, which can start part-way through an epoch.
        epoch: Epochs completed so far.
        epoch_items: Items consumed so far in this epoch, by all processes together.

    Raises:
        ConfigError: If the batch size does not fit the data set's share of each process.
    """

    def __init__(self, dataset: Any, train: Mapping[str, Any], group: ProcessGroup, device: torch.device) -> None:
        self.batch_size = int(train["batch_size"])
        self.world_size = group.world_size
        share = len(dataset) // group.world_size
        if self.batch_size < 1 or self.batch_size > share:
            raise ConfigError(
                f"train.batch_size={self.batch_size} (per process) must lie between 1 and the {share} items each of "
                f"{group.world_size} process(es) gets from the data set"
            )
        seed = int(train["seed"])
        self.sampler = ResumableSampler(len(dataset), seed=seed, num_replicas=group.world_size, rank=group.rank)
        workers = int(train["num_workers"])
        self.loader = DataLoader(
            dataset,
            batch_size=self.batch_size,
            sampler=self.sampler,
            num_workers=workers,
            drop_last=True,
            pin_memory=device.type == "cuda",
            persistent_workers=workers > 0,
            # Its own generator: otherwise each new iterator draws its worker seed from the global
            # stream, and a resumed run (which makes one more iterator) would drift from the original.
            generator=torch.Generator().manual_seed(seed),
        )
        self.epoch = 0
        self.epoch_items = 0
        self._iterator: Iterator[dict[str, torch.Tensor]] | None = None

    def __len__(self) -> int:
        """Steps per epoch."""
        return len(self.loader)

    def next(self) -> tuple[dict[str, torch.Tensor], bool]:
        """The next batch, and whether a new epoch began with it (after the first)."""
        began = False
        if self._iterator is None:  # a new run, or a resumed one part-way through an epoch
            self.sampler.set_position(self.epoch, self.epoch_items // self.world_size)
            self._iterator = iter(self.loader)
        try:
            batch = next(self._iterator)
        except StopIteration:
            self.epoch += 1
            self.epoch_items = 0
            began = True
            self.sampler.set_position(self.epoch, 0)
            self._iterator = iter(self.loader)
            batch = next(self._iterator)
        self.epoch_items += self.batch_size * self.world_size
        return batch, began

    def progress(self) -> float:
        """The epoch of the latest batch plus the fraction of that epoch before it (``1.5``: half-way through the second)."""
        taken = self.epoch_items // (self.batch_size * self.world_size)
        return self.epoch + max(taken - 1, 0) / max(len(self), 1)

    def state_dict(self) -> dict[str, int]:
        """Where the feed stands (checkpoint keys ``epoch`` and ``epoch_items``)."""
        return {"epoch": self.epoch, "epoch_items": self.epoch_items}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continue from what :meth:`state_dict` returned."""
        self.epoch, self.epoch_items = int(state["epoch"]), int(state["epoch_items"])
        self._iterator = None
