"""One generic trainer for every recipe.

:class:`Trainer` turns a resolved configuration into networks, losses, optimisers and schedules, and
runs the alternating GAN updates the configuration describes: no code here knows any recipe. A step:

1. takes a batch and makes the tensors ``forward`` describes, on demand (:mod:`ganzoo.training.graph`);
2. updates the discriminators: for each ``adversarial`` entry, the adversarial loss on real and
   (detached, optionally pooled) fake images, plus every penalty;
3. updates the generators: the adversarial losses through the (frozen) discriminators, plus every
   reconstruction loss on the tensors its ``objective`` entry names;

in the order and at the ratio the schedules say. Generated tensors are computed once per step and
shared by both updates.
"""

from __future__ import annotations

import logging
import math
import random
import signal
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from ganzoo.assembly import Context, build_network
from ganzoo.atomic import atomic_write_text
from ganzoo.config import NAME_KEY, slot_params, to_yaml
from ganzoo.contracts import AdversarialLoss, GanNetwork, Penalty, ReconstructionLoss
from ganzoo.errors import ConfigError, GanzooError, IncompatiblePartsError, did_you_mean
from ganzoo.plugins import PluginHost, get_host
from ganzoo.training import checkpoint as ckpt
from ganzoo.training import distributed
from ganzoo.training.devices import autocast, check_amp, select_device
from ganzoo.training.graph import StepTensors, check_sources, parse_forward
from ganzoo.training.outputs import MetricsLog, image_grid, plot_losses, save_png
from ganzoo.training.pool import HistoryPool
from ganzoo.training.sampler import ResumableSampler
from ganzoo.training.schedule_set import CombinedSchedule

logger = logging.getLogger("ganzoo.training")

ROLES = ("generator", "discriminator")


class DivergenceError(GanzooError):
    """A loss became NaN or infinite."""


@dataclass(frozen=True)
class AdversarialPair:
    """One ``adversarial`` entry: a discriminator judging a real and a generated tensor."""

    discriminator: str
    real: str
    fake: str
    condition: str | None
    loss: str
    weight: float


@dataclass(frozen=True)
class Objective:
    """A reconstruction-style loss and the tensors it compares."""

    key: str
    loss: ReconstructionLoss
    output: str
    target: str
    mask: str | None


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and CUDA)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _sum(terms: list[torch.Tensor]) -> torch.Tensor:
    """The sum of a step's loss terms, with no zero tensor to start from (one kernel fewer per update)."""
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _set_requires_grad(modules: Mapping[str, nn.Module], flag: bool) -> None:
    for module in modules.values():
        for parameter in module.parameters():
            parameter.requires_grad_(flag)


class Trainer:
    """Trains the networks a configuration describes.

    Build one with :meth:`create` (a new run) or :meth:`resume` (continue a run directory), then call
    :meth:`fit`. Plugins see it as the ``run`` argument of the lifecycle hooks.

    Args:
        config: A resolved run configuration (see :mod:`ganzoo.training.recipes`).
        directory: The run directory (created by :meth:`fit`).
        host: The plugin host (default: the process-wide one).
        state: A loaded checkpoint to continue from.

    Attributes:
        config: The resolved configuration; parameters the context decided are filled in.
        directory: Where outputs go.
        step: Steps taken so far.
        epoch: Epochs completed so far.
        networks: Every network by instance name (``G``, ``D_A``, …).
        is_main_process: Whether this process writes outputs (rank 0).
    """

    def __init__(
        self,
        config: dict[str, Any],
        directory: Path,
        *,
        host: PluginHost | None = None,
        state: dict[str, Any] | None = None,
    ) -> None:
        self.config = config
        self.directory = Path(directory)
        self.host = host or get_host()
        self.registry = self.host.registry
        self.step = 0
        self.epoch = 0
        self.epoch_items = 0  # items consumed so far in this epoch, by all processes together
        self.status = "created"
        self._stop_signal: int | None = None
        self._iterator: Iterator[dict[str, torch.Tensor]] | None = None
        train = config["train"]
        # Every process builds the same networks from the same seed; each then draws its own
        # random streams (dropout, augmentation, noise) from seed + rank.
        seed_everything(int(train["seed"]))
        self.device = select_device(str(train["device"]))
        self.group = distributed.join_process_group(self.device.type)
        self.is_main_process = self.group.is_main
        if self.group.enabled and self.device.type == "cuda":
            self.device = torch.device("cuda", self.group.local_rank)
        self.amp = check_amp(str(train["amp"]), self.device)
        if train["on_nonfinite"] not in ("stop", "skip"):
            raise ConfigError(f"train.on_nonfinite={train['on_nonfinite']!r}: use stop (end the run) or skip (drop that update)")
        self.dataset = self._build_dataset()
        self.context = self._context()
        self.sample_item = self.dataset[0]
        self.networks = self._build_networks()
        self.generators = {n: m for n, m in self.networks.items() if self.roles[n] == "generator"}
        self.discriminators = {n: m for n, m in self.networks.items() if self.roles[n] == "discriminator"}
        self.memory_format = torch.channels_last if train["channels_last"] else torch.contiguous_format
        if train["channels_last"]:
            for network in self.networks.values():
                network.to(memory_format=torch.channels_last)
        # What a step calls: the networks themselves, or their compiled versions (the originals keep
        # the weights and the checkpoint keys).
        self.callables: dict[str, Any] = (
            {name: torch.compile(network) for name, network in self.networks.items()} if train["compile"] else self.networks
        )
        self.computations = parse_forward(config["forward"], self.networks)
        self.adversarial = self._adversarial_pairs()
        self.losses = self._build_losses()
        self.penalties = {key: loss for key, loss in self.losses.items() if isinstance(loss, Penalty)}
        self.objectives = self._objectives()
        check_sources(self.computations, self.networks, self.dataset.keys, self._tensors_read())
        self._check_discriminator_inputs()
        self.schedule = self._build_schedule()
        self.optimizers, self.lr_schedulers = self._build_optimizers()
        self.pools = {
            pair.discriminator: HistoryPool(int(config["pool_size"]), seed=int(train["seed"]) + index)
            for index, pair in enumerate(self.adversarial)
        }
        self.loader, self.sampler = self._build_loader()
        self.steps_per_epoch = len(self.loader)
        self.total_steps = self._total_steps()
        self.noise_generator = torch.Generator(device=self.device).manual_seed(int(train["seed"]) + 7919 + self.group.rank)
        self.scaler = torch.amp.GradScaler("cuda") if self.amp == "fp16" else None
        if self.group.enabled:
            for network in self.networks.values():
                distributed.broadcast_module(network)
            seed_everything(int(train["seed"]) + self.group.rank)
        self.schedule.attach(self.generators)
        self._last_losses: dict[str, torch.Tensor] = {}
        if state is not None:
            self._load_state(state)
        from ganzoo.metrics.periodic import PeriodicEvaluation  # the metrics import torchmetrics lazily

        #: Quality measured every ``eval.every`` steps; checked here, before anything is written.
        self.evaluation = PeriodicEvaluation(self)

    # --- construction ---------------------------------------------------------------------------

    @classmethod
    def create(cls, config: dict[str, Any], *, host: PluginHost | None = None) -> Trainer:
        """Set up a new run; its directory is ``config['out']`` or ``runs/<recipe>-<time>``.

        Raises:
            GanzooError: For any problem with the configuration, before anything is written.
        """
        out = config.get("out") or f"runs/{config['recipe']}-{datetime.now():%Y%m%d-%H%M%S}"
        directory = Path(out)
        if directory.exists() and any(directory.iterdir()):
            raise ConfigError(
                f"run directory '{directory}' already holds files; continue it with resume={directory} "
                "or choose another with out=DIR"
            )
        config = {**config, "out": str(directory)}
        return cls(config, directory, host=host)

    @classmethod
    def resume(cls, directory: str | Path, words: list[str] | None = None, *, host: PluginHost | None = None) -> Trainer:
        """Continue a run from its newest checkpoint.

        Args:
            directory: The run directory, or a checkpoint file inside it.
            words: Settings to change, limited to ``train.*`` (e.g. ``train.steps=2000`` to train longer).

        Raises:
            CheckpointError: If there is no usable checkpoint.
            ConfigError: If a word changes anything but ``train.*``.
        """
        from ganzoo.config import apply_words

        state = ckpt.load_checkpoint(directory)
        config = state["config"]
        for word in words or []:
            if not word.startswith("train."):
                raise ConfigError(f"'{word}': a resumed run keeps its configuration; only train.* settings may change")
        config = apply_words(config, words or [])
        path = ckpt.resolve_checkpoint(Path(directory))
        run_directory = path.parent.parent if path.parent.name == "checkpoints" else path.parent
        config["out"] = str(run_directory)
        return cls(config, run_directory, host=host, state=state)

    def _build_dataset(self) -> Any:
        slot = self.config["data"]
        part = self.registry.get("dataset", str(slot[NAME_KEY]))
        params = slot_params(slot)
        if self.config.get("image_size") is not None and "image_size" not in params and part.accepts("image_size"):
            params["image_size"] = self.config["image_size"]
        dataset = part.build(**params)
        if len(dataset) == 0:
            raise ConfigError(f"data set '{part.name}' is empty")
        self.config["data"] = {NAME_KEY: part.name, **part.defaults(), **part.check(params)}
        return dataset

    def _context(self) -> Context:
        data = self.dataset
        facts = {
            "image_size": data.image_size,
            "channels": data.channels,
            "source_channels": data.source_channels,
            "num_classes": data.num_classes or None,
        }
        for key, value in facts.items():
            wanted = self.config.get(key)
            if wanted is not None and value is not None and wanted != value:
                raise IncompatiblePartsError(
                    f"{key}={wanted} but data set '{self.config['data'][NAME_KEY]}' has {key}={value}; "
                    f"remove {key}= or choose data that matches"
                )
            self.config[key] = value
        return Context(latent_dim=int(self.config["latent_dim"]), **facts)

    def _channels_of(self, tensor: str) -> int | None:
        value = self.sample_item.get(tensor)
        return int(value.shape[0]) if isinstance(value, torch.Tensor) and value.dim() == 3 else None

    def _build_networks(self) -> dict[str, GanNetwork]:
        networks: dict[str, GanNetwork] = {}
        self.roles: dict[str, str] = {}
        specs = self.config["networks"]
        if not specs:
            raise ConfigError("the configuration names no networks (networks: {G: generator, D: discriminator})")
        adversarial = list(self.config["adversarial"])
        forward = dict(self.config["forward"])
        resolved: dict[str, dict[str, Any]] = {}
        for instance, slot_key in specs.items():
            if slot_key not in ROLES:
                raise ConfigError(f"networks.{instance}: '{slot_key}' is not a network slot; use generator or discriminator")
            extra: dict[str, Any] = {}
            context = Context(**vars(self.context))
            if slot_key == "discriminator":
                condition = next((p.get("condition") for p in adversarial if p.get("discriminator") == instance), None)
                if condition:
                    extra["cond_channels"] = self._channels_of(str(condition)) or self.context.channels
                else:
                    extra["cond_channels"] = 0
                real = next((p.get("real") for p in adversarial if p.get("discriminator") == instance), None)
                context.channels = self._channels_of(str(real)) or context.channels
            else:
                # An image-to-image generator reads the channels of its source and writes those of
                # the real images its output is compared with.
                uses = [e for e in forward.values() if isinstance(e, Mapping) and e.get("net") == instance and e.get("method", "forward") == "forward"]
                sources = [self._channels_of(str(dict(e.get("inputs") or {}).get("source", "source"))) for e in uses]
                context.source_channels = next((c for c in sources if c), context.source_channels)
                outputs = {name for name, e in forward.items() if e in uses}
                real = next((p.get("real") for p in adversarial if p.get("fake") in outputs), None)
                context.channels = self._channels_of(str(real)) if real else context.channels
            built = build_network(self.registry, slot_key, self.config[slot_key], context, **extra)
            networks[instance] = built.module.to(self.device)
            self.roles[instance] = slot_key
            resolved.setdefault(slot_key, {NAME_KEY: built.part.name, **built.params})
        self.config.update(resolved)
        return networks

    def _adversarial_pairs(self) -> list[AdversarialPair]:
        pairs = []
        for index, entry in enumerate(self.config["adversarial"]):
            where = f"adversarial[{index}]"
            missing = {"discriminator", "real", "fake"} - set(entry)
            if missing:
                raise ConfigError(f"{where} needs discriminator, real and fake (missing: {', '.join(sorted(missing))})")
            name = str(entry["discriminator"])
            if name not in self.discriminators:
                raise ConfigError(f"{where}: '{name}' is not a discriminator{did_you_mean(name, self.discriminators)}")
            pairs.append(
                AdversarialPair(
                    name, str(entry["real"]), str(entry["fake"]), entry.get("condition"),
                    str(entry.get("loss", "adversarial")), float(entry.get("weight", 1.0)),
                )
            )
        return pairs

    def _build_losses(self) -> dict[str, Any]:
        losses = {}
        for key, slot in self.config["loss"].items():
            part = self.registry.get("loss", str(slot[NAME_KEY]))
            losses[key] = part.build(**slot_params(slot))  # checked: one of the three loss contracts
            self.config["loss"][key] = {NAME_KEY: part.name, **part.defaults(), **part.check(slot_params(slot))}
        for pair in self.adversarial:
            if not isinstance(losses.get(pair.loss), AdversarialLoss):
                raise ConfigError(f"the adversarial pair of '{pair.discriminator}' needs an adversarial loss at loss.{pair.loss} (e.g. loss.{pair.loss}=nonsaturating)")
        return losses

    def _objectives(self) -> list[Objective]:
        objectives = []
        wiring = self.config["objective"]
        for key, loss in self.losses.items():
            if not isinstance(loss, ReconstructionLoss):
                continue
            if key not in wiring:
                raise ConfigError(f"loss.{key} compares tensors, but objective.{key} does not say which: add objective.{key}.output=… and objective.{key}.target=…")
            entry = wiring[key]
            if loss.weight == 0:
                continue  # switched off: its tensors are never computed
            objectives.append(Objective(key, loss, str(entry["output"]), str(entry["target"]), entry.get("mask")))
        return objectives

    def _tensors_read(self) -> list[tuple[str, str]]:
        used = []
        for index, pair in enumerate(self.adversarial):
            used += [(f"adversarial[{index}]", t) for t in (pair.real, pair.fake, pair.condition) if t]
        for objective in self.objectives:
            used += [(f"objective.{objective.key}", t) for t in (objective.output, objective.target, objective.mask) if t]
        used += [("samples.show", str(t)) for t in self.config["samples"]["show"]]
        return used

    def _check_discriminator_inputs(self) -> None:
        for pair in self.adversarial:
            inputs = self.discriminators[pair.discriminator].inputs
            if "condition" in inputs and not pair.condition:
                raise ConfigError(f"discriminator '{pair.discriminator}' takes a condition; set it in its adversarial entry (condition: source)")
            if "label" in inputs and "label" not in self.dataset.keys:
                raise IncompatiblePartsError(
                    f"discriminator '{pair.discriminator}' needs class labels, but data set "
                    f"'{self.config['data'][NAME_KEY]}' has none (its items hold {', '.join(self.dataset.keys)})"
                )
            unknown = set(inputs) - {"image", "condition", "label"}
            if unknown:
                raise IncompatiblePartsError(f"discriminator '{pair.discriminator}' takes {', '.join(sorted(unknown))}, which the trainer cannot feed")
            if self.config["pool_size"] and pair.condition:
                raise ConfigError("pool_size > 0 cannot be combined with a conditional discriminator (pooled fakes lose their condition)")

    def _build_schedule(self) -> CombinedSchedule:
        schedules = []
        for key, slot in self.config["schedule"].items():
            part = self.registry.get("schedule", str(slot[NAME_KEY]))
            schedules.append(part.build(**slot_params(slot)))
            self.config["schedule"][key] = {NAME_KEY: part.name, **part.defaults(), **part.check(slot_params(slot))}
        return CombinedSchedule(schedules)

    def _build_optimizers(self) -> tuple[dict[str, torch.optim.Optimizer], dict[str, torch.optim.lr_scheduler.LambdaLR]]:
        settings = self.config["optim"]
        rates = self.schedule.learning_rates({role: float(settings[role]["lr"]) for role in ROLES})
        optimizers, schedulers = {}, {}
        for name, network in self.networks.items():
            role = self.roles[name]
            options = settings[role]
            fused = bool(self.config["train"]["fused_optimizer"])
            optimizer = torch.optim.Adam(
                network.parameters(),
                lr=rates[role],
                betas=tuple(float(b) for b in options.get("betas", (0.5, 0.999))),
                weight_decay=float(options.get("weight_decay", 0.0)),
                foreach=None if fused else True,
                fused=fused or None,
            )
            optimizers[name] = optimizer
            schedulers[name] = torch.optim.lr_scheduler.LambdaLR(optimizer, self.schedule.lr_factor)
        return optimizers, schedulers

    def _build_loader(self) -> tuple[DataLoader, ResumableSampler]:
        train = self.config["train"]
        batch_size = int(train["batch_size"])
        share = len(self.dataset) // self.group.world_size
        if batch_size < 1 or batch_size > share:
            raise ConfigError(
                f"train.batch_size={batch_size} (per process) must lie between 1 and the {share} items each of "
                f"{self.group.world_size} process(es) gets from the data set"
            )
        sampler = ResumableSampler(
            len(self.dataset), seed=int(train["seed"]), num_replicas=self.group.world_size, rank=self.group.rank
        )
        workers = int(train["num_workers"])
        loader = DataLoader(
            self.dataset,
            batch_size=batch_size,
            sampler=sampler,
            num_workers=workers,
            drop_last=True,
            pin_memory=self.device.type == "cuda",
            persistent_workers=workers > 0,
            # Its own generator: otherwise each new iterator draws its worker seed from the global
            # stream, and a resumed run (which makes one more iterator) would drift from the original.
            generator=torch.Generator().manual_seed(int(train["seed"])),
        )
        return loader, sampler

    def _total_steps(self) -> int:
        train = self.config["train"]
        if int(train["steps"]) > 0:
            return int(train["steps"])
        if int(train["epochs"]) > 0:
            return int(train["epochs"]) * self.steps_per_epoch
        raise ConfigError("say how long to train: train.steps=N or train.epochs=N")

    # --- checkpoints ------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly: see :mod:`ganzoo.training.checkpoint`."""
        return {
            "config": self.config,
            "step": self.step,
            "epoch": self.epoch,
            "epoch_items": self.epoch_items,
            "world_size": self.group.world_size,
            "networks": {name: network.state_dict() for name, network in self.networks.items()},
            "optimizers": {name: optimizer.state_dict() for name, optimizer in self.optimizers.items()},
            "lr_schedulers": {name: scheduler.state_dict() for name, scheduler in self.lr_schedulers.items()},
            "schedule": self.schedule.state_dict(),
            "pools": {name: pool.state_dict() for name, pool in self.pools.items()},
            "scaler": self.scaler.state_dict() if self.scaler is not None else None,
            "rng": self._rng_state(),
            # The latest value of each loss, logged until its next update (lazy penalties, n_critic).
            "last_losses": {key: value.detach().cpu() for key, value in self._last_losses.items()},
        }

    def _rng_state(self) -> dict[str, Any]:
        state = {**ckpt.capture_rng_state(), "noise": self.noise_generator.get_state()}
        if not self.group.enabled:
            return state
        return {**state, "ranks": distributed.gather_objects(state)}  # each process's own streams

    def _load_state(self, state: dict[str, Any]) -> None:
        try:
            for name, network in self.networks.items():
                network.load_state_dict(state["networks"][name])
            for name, optimizer in self.optimizers.items():
                optimizer.load_state_dict(state["optimizers"][name])
            for name, scheduler in self.lr_schedulers.items():
                scheduler.load_state_dict(state["lr_schedulers"][name])
        except (KeyError, RuntimeError, ValueError) as error:
            raise ckpt.CheckpointError(f"the checkpoint does not match this configuration's networks: {error}") from error
        self.schedule.load_state_dict(state["schedule"])
        for name, pool in self.pools.items():
            pool.load_state_dict(state["pools"][name], self.device)
        if self.scaler is not None and state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.step, self.epoch = int(state["step"]), int(state["epoch"])
        self.epoch_items = int(state["epoch_items"])
        self._last_losses = {key: torch.as_tensor(value).to(self.device) for key, value in (state.get("last_losses") or {}).items()}
        rng = state["rng"]
        if int(state.get("world_size", 1)) != self.group.world_size:
            # Another process count: the streams cannot continue as they were; start new ones.
            seed = int(self.config["train"]["seed"]) + 1_000_003 * self.step + self.group.rank
            seed_everything(seed)
            self.noise_generator.manual_seed(seed + 7919)
            return
        rng = rng.get("ranks", [rng])[self.group.rank]
        ckpt.restore_rng_state(rng)
        self.noise_generator.set_state(rng["noise"])

    def save_checkpoint(self) -> Path:
        """Write a checkpoint for the current step, update ``latest`` and drop old ones.

        Every process must call it (they exchange their random states); only the main one writes.

        Raises:
            DivergenceError: If the latest losses are not finite: a bad checkpoint never replaces good ones.
        """
        folder = self.directory / "checkpoints"
        path = folder / ckpt.checkpoint_name(self.step)
        stop = self.config["train"]["on_nonfinite"] == "stop"
        bad = [key for key, value in self._last_losses.items() if stop and not torch.isfinite(value).all()]
        if bad:
            raise DivergenceError(
                f"step {self.step}: {', '.join(bad)} became non-finite; training stopped without saving. The last good "
                f"checkpoint is in {folder}; lower the learning rates or set train.on_nonfinite=skip"
            )
        if self.group.enabled:
            distributed.check_replicas_agree(self.networks)
        state = self.state_dict()
        if not self.is_main_process:
            return path
        ckpt.save_checkpoint(path, state)
        atomic_write_text(folder / ckpt.LATEST, path.name + "\n")
        keep = int(self.config["train"]["keep_checkpoints"])
        if keep > 0:
            for old in sorted(folder.glob("step_*.pt"))[:-keep]:
                old.unlink(missing_ok=True)
        self.host.hook.ganzoo_checkpoint_saved(run=self, step=self.step, path=path)
        return path

    # --- one step ---------------------------------------------------------------------------------

    def _noise(self, batch_size: int, latent_dim: int) -> torch.Tensor:
        return torch.randn(batch_size, latent_dim, device=self.device, generator=self.noise_generator)

    def _discriminator_inputs(self, pair: AdversarialPair, tensors: StepTensors, image: torch.Tensor) -> list[torch.Tensor]:
        values = {"image": image}
        if pair.condition:
            values["condition"] = tensors[pair.condition].detach()
        if "label" in tensors:
            values["label"] = tensors["label"]
        return [values[name] for name in self.discriminators[pair.discriminator].inputs]

    def _discriminator_update(self, tensors: StepTensors, compute_fakes_with_grad: bool) -> dict[str, torch.Tensor]:
        losses: dict[str, torch.Tensor] = {}
        terms: list[torch.Tensor] = []
        with autocast(self.amp, self.device):
            for pair in self.adversarial:
                with torch.set_grad_enabled(compute_fakes_with_grad):
                    fake = tensors[pair.fake]
                fake = self.pools[pair.discriminator](fake.detach())
                real = tensors[pair.real]
                discriminator = self.callables[pair.discriminator]
                real_inputs = self._discriminator_inputs(pair, tensors, real)
                real_logits = discriminator(*real_inputs)
                fake_logits = discriminator(*self._discriminator_inputs(pair, tensors, fake))
                loss = self.losses[pair.loss].discriminator_loss(real_logits, fake_logits)
                if pair.weight != 1.0:
                    loss = pair.weight * loss
                losses[f"D/{pair.discriminator}"] = loss.detach()
                for key, penalty in ((k, v) for k, v in self.penalties.items() if v.due(self.step)):
                    # Penalties differentiate twice: through the plain module, never a compiled one.
                    value = penalty(self.discriminators[pair.discriminator], real, fake, condition=real_inputs[1:] or None)
                    losses[f"D/{pair.discriminator}/{key}"] = value.detach()
                    loss = loss + value
                terms.append(loss)
        self._apply(_sum(terms), [self.optimizers[name] for name in self.discriminators])
        return losses

    def _generator_update(self, tensors: StepTensors) -> dict[str, torch.Tensor]:
        losses: dict[str, torch.Tensor] = {}
        terms: list[torch.Tensor] = []
        _set_requires_grad(self.discriminators, False)  # no gradients for D's weights here
        try:
            with autocast(self.amp, self.device):
                for pair in self.adversarial:
                    fake = tensors[pair.fake]
                    logits = self.callables[pair.discriminator](*self._discriminator_inputs(pair, tensors, fake))
                    value = self.losses[pair.loss].generator_loss(logits)
                    if pair.weight != 1.0:
                        value = pair.weight * value
                    losses[f"G/adversarial/{pair.discriminator}"] = value.detach()
                    terms.append(value)
                for objective in self.objectives:
                    mask = tensors[objective.mask] if objective.mask else None
                    value = objective.loss(tensors[objective.output], tensors[objective.target], mask=mask)
                    losses[f"G/{objective.key}"] = value.detach()
                    terms.append(value)
            self._apply(_sum(terms), [self.optimizers[name] for name in self.generators])
        finally:
            _set_requires_grad(self.discriminators, True)
        self.schedule.after_generator_step(self.generators)
        return losses

    def _apply(self, loss: torch.Tensor, optimizers: list[torch.optim.Optimizer]) -> None:
        if self.config["train"]["on_nonfinite"] == "skip" and not torch.isfinite(loss):
            logger.warning("step %d: non-finite loss, update skipped", self.step)
            for optimizer in optimizers:
                optimizer.zero_grad(set_to_none=True)
            return
        for optimizer in optimizers:
            optimizer.zero_grad(set_to_none=True)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self._average_gradients(optimizers)
            for optimizer in optimizers:
                self.scaler.step(optimizer)
            self.scaler.update()
        else:
            loss.backward()
            self._average_gradients(optimizers)
            for optimizer in optimizers:
                optimizer.step()

    def _average_gradients(self, optimizers: list[torch.optim.Optimizer]) -> None:
        if self.group.enabled:
            names = [name for name, optimizer in self.optimizers.items() if optimizer in optimizers]
            distributed.average_gradients([self.networks[name] for name in names], self.group.world_size)

    def train_step(self, batch: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Run one step on a batch; returns the losses as (device) tensors."""
        batch = {
            key: value.to(self.device, non_blocking=True, memory_format=self.memory_format)
            if value.dim() == 4 else value.to(self.device, non_blocking=True)
            for key, value in batch.items()
        }
        tensors = StepTensors(batch, self.computations, self.callables, self._noise)
        update_d = self.schedule.update_discriminator(self.step)
        update_g = self.schedule.update_generator(self.step)
        losses: dict[str, torch.Tensor] = {}
        if self.schedule.discriminator_first:
            if update_d:
                losses |= self._discriminator_update(tensors, compute_fakes_with_grad=update_g)
            if update_g:
                losses |= self._generator_update(tensors)
        else:
            if update_g:
                losses |= self._generator_update(tensors)
            if update_d:
                losses |= self._discriminator_update(tensors, compute_fakes_with_grad=False)
        return losses

    # --- outputs ----------------------------------------------------------------------------------

    @torch.no_grad()
    def write_samples(self) -> Path | None:
        """Write a grid of the ``samples.show`` tensors for a fixed batch and fixed noise (main process only)."""
        if not self.is_main_process:
            return None
        settings = self.config["samples"]
        count = min(int(settings["count"]), len(self.dataset))
        # Items spread evenly over the data set, so that ordered data sets show every class.
        items = [self.dataset[i * len(self.dataset) // count] for i in range(count)]
        batch = {key: torch.stack([item[key] for item in items]).to(self.device) for key in items[0]}
        if "label" in batch and self.context.num_classes:
            batch["label"] = torch.arange(count, device=self.device) % self.context.num_classes
        fixed = torch.Generator(device=self.device).manual_seed(int(settings["seed"]))
        networks = {name: self.schedule.averaged(name) or net for name, net in self.networks.items()}
        modes = {name: net.training for name, net in networks.items()}
        for net in networks.values():
            net.eval()
        try:
            tensors = StepTensors(
                batch, self.computations, networks,
                lambda n, d: torch.randn(n, d, device=self.device, generator=fixed),
            )
            columns = [tensors[str(name)] for name in settings["show"]]
        finally:
            for name, net in networks.items():
                net.train(modes[name])
        conditional = any("label" in net.inputs for net in self.generators.values())
        per_row = self.context.num_classes if len(columns) == 1 and conditional else None  # a class per column
        path = self.directory / "samples" / f"step_{self.step:08d}.png"
        save_png(path, image_grid(columns, per_row=per_row))
        self.host.hook.ganzoo_samples_written(run=self, step=self.step, path=path)
        return path

    def _log(self, metrics: MetricsLog | None, losses: dict[str, torch.Tensor], progress: Any) -> None:
        values = {key: float(value) for key, value in losses.items()}  # one device sync per log step
        bad = [key for key, value in values.items() if not math.isfinite(value)]
        if bad and self.config["train"]["on_nonfinite"] == "stop":
            raise DivergenceError(
                f"step {self.step}: {', '.join(bad)} became non-finite; training stopped. The last good checkpoint "
                f"is in {self.directory / 'checkpoints'}; lower the learning rates or set train.on_nonfinite=skip"
            )
        for name, optimizer in self.optimizers.items():
            values[f"lr/{name}"] = optimizer.param_groups[0]["lr"]
        values["epoch"] = self.epoch
        if not self.is_main_process:
            return
        metrics.write(self.step, values)
        self.host.hook.ganzoo_step_end(run=self, step=self.step, losses=values)
        if progress is not None:
            progress.set_postfix({k: f"{v:.3g}" for k, v in values.items() if k.startswith(("D/", "G/"))}, refresh=False)

    # --- the loop ---------------------------------------------------------------------------------

    def _next_batch(self) -> dict[str, torch.Tensor]:
        """The next batch; at the end of an epoch, the epoch count and learning rates move on first."""
        if self._iterator is None:  # a new run, or a resumed one part-way through an epoch
            self.sampler.set_position(self.epoch, self.epoch_items // self.group.world_size)
            self._iterator = iter(self.loader)
        try:
            batch = next(self._iterator)
        except StopIteration:
            self.epoch += 1
            self.epoch_items = 0
            for scheduler in self.lr_schedulers.values():
                scheduler.step()
            self.sampler.set_position(self.epoch, 0)
            self._iterator = iter(self.loader)
            batch = next(self._iterator)
        self.epoch_items += int(self.config["train"]["batch_size"]) * self.group.world_size
        return batch

    def _request_stop(self, signum: int, frame: Any) -> None:
        if self._stop_signal is not None:  # a second Ctrl-C: stop at once
            raise KeyboardInterrupt
        self._stop_signal = signum
        logger.warning("%s received: saving a checkpoint after this step", signal.Signals(signum).name)

    def _prepare_directory(self) -> MetricsLog | None:
        from ganzoo.atomic import OutputError

        if not self.is_main_process:
            return None
        for stale in self.directory.glob("**/.*.tmp"):  # left by a process killed mid-write
            stale.unlink(missing_ok=True)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OutputError(f"cannot create run directory '{self.directory}': {error.strerror or error}") from error
        atomic_write_text(self.directory / "config.yaml", to_yaml(self.config))
        metrics = MetricsLog(self.directory)
        metrics.truncate_after(self.step)
        return metrics

    def fit(self) -> str:
        """Train until ``total_steps``, writing samples, metrics and checkpoints; returns the status.

        SIGINT and SIGTERM save a checkpoint after the current step and end the run as
        ``"interrupted"``; a second SIGINT stops at once.
        """
        from tqdm.auto import tqdm

        train = self.config["train"]
        metrics = self._prepare_directory()
        log_every, sample_every, checkpoint_every = (int(train[k]) for k in ("log_every", "sample_every", "checkpoint_every"))
        previous = {s: signal.signal(s, self._request_stop) for s in (signal.SIGINT, signal.SIGTERM)} if _main_thread() else {}
        progress = tqdm(total=self.total_steps, initial=self.step, unit="step", dynamic_ncols=True, disable=not train["progress"] or not self.is_main_process)
        self.status = "failed"
        started = time.perf_counter()
        if self.is_main_process:
            self.host.hook.ganzoo_run_start(run=self)
        try:
            for net in self.networks.values():
                net.train()
            while self.step < self.total_steps:
                # Keep each loss's latest value: with n_critic > 1 a log step may update only D.
                self._last_losses.update(self.train_step(self._next_batch()))
                self.step += 1
                progress.update(1)
                # Every process must stop at the same step.
                if self.group.enabled and distributed.any_process(self._stop_signal is not None, self.device) and self._stop_signal is None:
                    self._stop_signal = signal.SIGTERM
                last = self.step == self.total_steps
                evaluated = self.evaluation.run_if_due(last)  # {} unless an evaluation step
                if self._last_losses and (self.step % log_every == 0 or last):
                    self._log(metrics, {**self._last_losses, **evaluated}, progress)
                elif evaluated and metrics is not None:
                    metrics.write(self.step, evaluated)
                if sample_every and (self.step % sample_every == 0 or last):
                    self.write_samples()
                if (checkpoint_every and self.step % checkpoint_every == 0) or last or self._stop_signal:
                    self.save_checkpoint()
                if self._stop_signal is not None:
                    self.status = "interrupted"
                    break
            else:
                self.status = "completed"
        finally:
            progress.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            if metrics is not None:
                metrics.close()
                if metrics.path.exists():
                    plot_losses(metrics.path, self.directory / "loss_curves.png")
                self.host.hook.ganzoo_run_end(run=self, status=self.status)
        elapsed = time.perf_counter() - started
        logger.info("%s after %d steps (%.1f s); outputs in %s", self.status, self.step, elapsed, self.directory)
        return self.status


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()
