"""The training loop: one generic trainer for every recipe.

:class:`Trainer` builds a run from its configuration (:mod:`ganzoo.training.build`), takes training
steps on it (:mod:`ganzoo.training.step`) in the order and at the ratio the schedules say, and does
what a run does around the steps: it feeds batches (resumable mid-epoch), logs losses, writes sample
grids and checkpoints, evaluates, calls the plugins' lifecycle hooks, and stops cleanly on a signal.
No code here knows any recipe.
"""

from __future__ import annotations

import logging
import math
import signal
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from ganzoo.atomic import atomic_write_text
from ganzoo.config import to_yaml
from ganzoo.contracts import GanNetwork, loss_states, restore_loss_states
from ganzoo.errors import ConfigError, GanzooError
from ganzoo.plugins import PluginHost, get_host
from ganzoo.training import checkpoint as ckpt
from ganzoo.training import distributed
from ganzoo.training import run_directory as rundir
from ganzoo.training.build import INSTANCES, BuiltRun, build_run
from ganzoo.training.devices import check_amp, select_device
from ganzoo.training.feed import BatchFeed
from ganzoo.training.outputs import MetricsLog, plot_losses, save_png
from ganzoo.training.previews import preview_grid
from ganzoo.training.step import TrainingStep
from ganzoo.training.streams import capture_run_streams, restore_run_streams, seed_everything
from ganzoo.training.trackers import build_tracker

logger = logging.getLogger("ganzoo.training")


class DivergenceError(GanzooError):
    """A loss became NaN or infinite."""


class Trainer:
    """Trains the networks a configuration describes.

    Build one with :meth:`create` (a new run) or :meth:`resume` (continue from a checkpoint), then call
    :meth:`fit`. Plugins see it as the ``run`` argument of the lifecycle hooks.

    Args:
        config: A resolved run configuration (see :mod:`ganzoo.training.recipes`).
        directory: The run directory (created by :meth:`fit`).
        host: The plugin host (default: the process-wide one).
        state: A loaded checkpoint to continue from.
        new_directory: Whether the run's outputs start a new directory (the default for a new run, and
            for a checkpoint continued elsewhere) rather than continue the checkpoint's own.

    Attributes:
        config: The resolved configuration; parameters the context decided are filled in.
        directory: Where outputs go.
        step: Steps taken so far.
        feed: The batches (:class:`~ganzoo.training.feed.BatchFeed`), with the epochs completed so far.
        built: The run's parts (:class:`~ganzoo.training.build.BuiltRun`): data set, networks, losses,
            schedules and their wiring.
        updates: What takes the steps (:class:`~ganzoo.training.step.TrainingStep`): optimisers,
            learning-rate schedulers, history pools, the noise stream.
        is_main_process: Whether this process writes outputs (rank 0).
    """

    def __init__(
        self,
        config: dict[str, Any],
        directory: Path,
        *,
        host: PluginHost | None = None,
        state: dict[str, Any] | None = None,
        new_directory: bool | None = None,
    ) -> None:
        self.config = config
        self.directory = Path(directory)
        self.new_directory = state is None if new_directory is None else new_directory
        self.host = host or get_host()
        self._run_directory: rundir.RunDirectory | None = None
        self.step = 0
        self.status = "created"
        self._stop_signal: int | None = None
        self._stop_reason: str | None = None
        #: The run directory or checkpoint a resumed run continues (``None`` for a new run).
        self.resumed_from: Path | None = None
        train = config["train"]
        # Every process builds the same networks from the same seed; each then draws its own
        # random streams (dropout, augmentation, noise) from seed + rank.
        seed_everything(int(train["seed"]))
        self.device = select_device(str(train["device"]))
        self.group = distributed.join_process_group(self.device.type)
        self.is_main_process = self.group.is_main
        if self.group.enabled and self.device.type == "cuda":
            self.device = torch.device("cuda", self.group.local_rank)
        amp = check_amp(str(train["amp"]), self.device)
        self.built: BuiltRun = build_run(config, self.host.registry, self.device)
        #: The run's tracker (``tracker=NAME``), followed by the main process only; ``None`` when off.
        self.tracker = build_tracker(config, self.host.registry, build=self.is_main_process)
        #: The lifecycle hooks of this run, plugins' and the tracker's; one that raises is left out (see ganzoo.plugins).
        self.hooks = self.host.run_hooks(self.tracker, str(config["tracker"]["name"]))
        self.updates = TrainingStep(self.built, group=self.group, amp=amp)
        self.feed = BatchFeed(self.built.dataset, train, self.group, self.device)
        self.loader = self.feed.loader
        self.steps_per_epoch = len(self.feed)
        self.total_steps = self._total_steps()
        if self.group.enabled:
            for network in self.built.networks.values():
                distributed.broadcast_module(network)
            seed_everything(int(train["seed"]) + self.group.rank)
        self.built.schedule.attach(self.built.generators)
        self._last_losses: dict[str, torch.Tensor] = {}
        if state is not None:
            self._load_state(state)
        self.updates.apply_controls(self.step, float(self.feed.epoch))  # a schedule's unknown name stops the run here
        from ganzoo.metrics.periodic import PeriodicEvaluation  # the metrics import torchmetrics lazily

        #: Quality measured every ``eval.every`` steps; checked here, before anything is written.
        self.evaluation = PeriodicEvaluation(self)

    @property
    def networks(self) -> dict[str, GanNetwork]:
        """Every network by instance name (``G``, ``D_A``, …)."""
        return self.built.networks

    @property
    def registry(self) -> Any:
        """The registry the run's parts came from."""
        return self.host.registry

    # --- construction ---------------------------------------------------------------------------

    @classmethod
    def create(cls, config: dict[str, Any], *, host: PluginHost | None = None) -> Trainer:
        """Set up a new run; its directory is ``config['out']`` or ``runs/<recipe>-<time>``.

        Raises:
            GanzooError: For any problem with the configuration, before anything is written.
        """
        directory = Path(config.get("out") or rundir.default_directory(config["recipe"]))
        rundir.check_output_directory(directory)
        # A new run records its own instances: any recorded in a reused config.yaml are rebuilt afresh.
        config = {**config, "out": str(directory), INSTANCES: {}}
        return cls(config, directory, host=host)

    @classmethod
    def resume(cls, directory: str | Path, words: list[str] | None = None, *, host: PluginHost | None = None) -> Trainer:
        """Continue a run from its newest checkpoint.

        A checkpoint inside a run directory continues that run there. A *loose* checkpoint (a file kept
        anywhere else) continues in a new run directory, and so does any checkpoint given ``out=DIR``:
        the folder a checkpoint is read from is never written to unless it is its own run's.

        Args:
            directory: The run directory, or a checkpoint file.
            words: Settings to change, limited to ``train.*`` (e.g. ``train.steps=2000`` to train longer),
                ``tracker`` and ``tracker.*`` (follow the rest of the run elsewhere), and ``out=DIR``.

        Raises:
            CheckpointError: If there is no usable checkpoint.
            ConfigError: If a word changes anything but ``train.*``, the tracker and ``out``, or ``out`` holds files.
            RunLockedError: If another process is training in the run directory.
        """
        from ganzoo.config import apply_words
        from ganzoo.settings import check_run_settings

        words, out = rundir.resume_words(words or [])
        source = Path(directory)
        target, new = rundir.resume_directory(source, out, check_lock=distributed.is_main_launch())
        state = ckpt.load_checkpoint(source)
        config = check_run_settings(apply_words(state["config"], words))
        target = target or Path(rundir.default_directory(str(config.get("recipe") or "run")))
        if new:
            rundir.check_output_directory(target)
        config["out"] = str(target)
        trainer = cls(config, target, host=host, state=state, new_directory=new)
        trainer.resumed_from = source
        return trainer

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
            **self.feed.state_dict(),
            "world_size": self.group.world_size,
            "networks": {name: network.state_dict() for name, network in self.built.networks.items()},
            **self.updates.state_dict(),
            "schedule": self.built.schedule.state_dict(),
            "losses": loss_states(self.built.losses),
            "rng": capture_run_streams(self.updates.noise_generator, self.group),
            # The latest value of each loss, logged until its next update (lazy penalties, n_critic).
            "last_losses": {key: value.detach().cpu() for key, value in self._last_losses.items()},
        }

    def _load_state(self, state: dict[str, Any]) -> None:
        try:
            for name, network in self.built.networks.items():
                network.load_state_dict(state["networks"][name])
            self.updates.load_state_dict(state)
        except (KeyError, RuntimeError, ValueError) as error:
            raise ckpt.CheckpointError(f"the checkpoint does not match this configuration's networks: {error}") from error
        self.built.schedule.load_state_dict(state["schedule"])
        restore_loss_states(self.built.losses, state.get("losses"))
        self.step = int(state["step"])
        self.feed.load_state_dict(state)
        self._last_losses = {self.updates.loss_key(k): torch.as_tensor(v).to(self.device) for k, v in (state.get("last_losses") or {}).items()}
        restore_run_streams(
            state["rng"], int(state.get("world_size", 1)), self.updates.noise_generator, self.group,
            seed=int(self.config["train"]["seed"]) + 1_000_003 * self.step,
        )

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
            raise DivergenceError(f"step {self.step}: {', '.join(bad)} became non-finite; training stopped without saving. {rundir.divergence_advice(self.directory)}")
        if self.group.enabled:
            distributed.check_replicas_agree(self.built.networks)
        state = self.state_dict()
        if not self.is_main_process:
            return path
        ckpt.save_checkpoint(path, state)
        ckpt.publish_checkpoint(path, int(self.config["train"]["keep_checkpoints"]))
        self.hooks("ganzoo_checkpoint_saved", run=self, step=self.step, path=path)
        return path

    # --- outputs ----------------------------------------------------------------------------------

    def train_step(self, batch: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Take the next step (number ``step + 1``) on a batch; returns the losses as (device) tensors."""
        return self.updates(batch, self.step, self.feed.progress())

    def write_samples(self) -> Path | None:
        """Write a grid of the ``samples.show`` tensors for a fixed batch and fixed noise (main process only)."""
        if not self.is_main_process:
            return None
        path = self.directory / "samples" / f"step_{self.step:08d}.png"
        save_png(path, preview_grid(self.built))
        self.hooks("ganzoo_samples_written", run=self, step=self.step, path=path)
        return path

    def _log(self, metrics: MetricsLog | None, losses: dict[str, torch.Tensor], progress: Any) -> None:
        values = {key: float(value) for key, value in losses.items()}  # one device sync per log step
        bad = [key for key, value in values.items() if not math.isfinite(value)]
        if bad and self.config["train"]["on_nonfinite"] == "stop":
            raise DivergenceError(f"step {self.step}: {', '.join(bad)} became non-finite; training stopped. {rundir.divergence_advice(self.directory)}")
        for name, optimizer in self.updates.optimizers.items():
            values[f"lr/{name}"] = optimizer.param_groups[0]["lr"]
        values |= self.updates.augment_values()  # augment/p for ADA
        values["epoch"] = self.feed.epoch
        if not self.is_main_process:
            return
        metrics.write(self.step, values)
        self.hooks("ganzoo_step_end", run=self, step=self.step, losses=values)
        if progress is not None:
            progress.set_postfix({k: f"{v:.3g}" for k, v in values.items() if k.startswith(("D/", "G/"))}, refresh=False)

    # --- the loop ---------------------------------------------------------------------------------

    def _next_batch(self) -> dict[str, torch.Tensor]:
        """The next batch; at the end of an epoch, the learning rates move on first."""
        batch, new_epoch = self.feed.next()
        if new_epoch:
            for scheduler in self.updates.lr_schedulers.values():
                scheduler.step()
        return batch

    def request_stop(self, reason: str) -> None:
        """End the run after this step with a checkpoint, as ``"stopped"`` (a sweep pruning a trial); it can be resumed."""
        if self._stop_reason is None:
            self._stop_reason = reason
            logger.info("stopping after this step: %s", reason)

    def _agree_on_stop(self) -> None:
        """Every process must stop at the same step: a signal or a request in any one stops them all."""
        if distributed.any_process(self._stop_signal is not None, self.device) and self._stop_signal is None:
            self._stop_signal = signal.SIGTERM
        if distributed.any_process(self._stop_reason is not None, self.device) and self._stop_reason is None:
            self._stop_reason = "stopped by the main process"

    def _request_stop(self, signum: int, frame: Any) -> None:
        if self._stop_signal is not None:  # a second Ctrl-C: stop at once
            raise KeyboardInterrupt
        self._stop_signal = signum
        logger.warning("%s received: saving a checkpoint after this step", signal.Signals(signum).name)

    def _prepare_directory(self) -> MetricsLog | None:
        """Take the run directory (created if new, locked, cleared of a killed run's temporary files)."""
        if not self.is_main_process:
            return None
        self._run_directory = rundir.RunDirectory(self.directory, new=self.new_directory)
        self._run_directory.open()
        atomic_write_text(self.directory / "config.yaml", to_yaml(self.config))
        metrics = MetricsLog(self.directory)
        metrics.truncate_after(self.step)
        return metrics

    def _close_directory(self, error: BaseException | None) -> None:
        """Release the run directory; a new run that failed before any checkpoint leaves nothing behind."""
        if self._run_directory is None:
            return
        failed = isinstance(error, Exception)  # not a second Ctrl-C: what was written so far stays
        note = self._run_directory.close(failed_before_checkpoint=failed)
        self._run_directory = None
        if note:
            logger.warning(note)

    def fit(self) -> str:
        """Train until ``total_steps``, writing samples, metrics and checkpoints; returns the status.

        SIGINT and SIGTERM save a checkpoint after the current step and end the run as
        ``"interrupted"``; a second SIGINT stops at once.
        """
        from tqdm.auto import tqdm

        train = self.config["train"]
        try:
            metrics = self._prepare_directory()
        except BaseException as error:
            self._close_directory(error)
            raise
        log_every, sample_every, checkpoint_every = (int(train[k]) for k in ("log_every", "sample_every", "checkpoint_every"))
        previous = {s: signal.signal(s, self._request_stop) for s in (signal.SIGINT, signal.SIGTERM)} if threading.current_thread() is threading.main_thread() else {}
        progress = tqdm(total=self.total_steps, initial=self.step, unit="step", dynamic_ncols=True, disable=not train["progress"] or not self.is_main_process)
        self.status = "failed"
        started = time.perf_counter()
        failure: BaseException | None = None
        try:
            if self.is_main_process:
                self.hooks("ganzoo_run_start", run=self)
            for net in self.built.networks.values():
                net.train()
            while self.step < self.total_steps:
                # Keep each loss's latest value: with n_critic > 1 a log step may update only D.
                self._last_losses.update(self.train_step(self._next_batch()))
                self.step += 1
                progress.update(1)
                last = self.step == self.total_steps
                evaluated = self.evaluation.run_if_due(last)  # {} unless an evaluation step
                if self._last_losses and (self.step % log_every == 0 or last):
                    self._log(metrics, {**self._last_losses, **evaluated}, progress)
                elif evaluated and metrics is not None:
                    metrics.write(self.step, evaluated)
                    self.hooks("ganzoo_step_end", run=self, step=self.step, losses=evaluated)
                if sample_every and (self.step % sample_every == 0 or last):
                    self.write_samples()
                if self.group.enabled:
                    self._agree_on_stop()
                stopping = self._stop_signal is not None or self._stop_reason is not None
                if (checkpoint_every and self.step % checkpoint_every == 0) or last or stopping:
                    self.save_checkpoint()
                if stopping:
                    self.status = "interrupted" if self._stop_signal is not None else "stopped"
                    break
            else:
                self.status = "completed"
        except BaseException as error:
            failure = error
            raise
        finally:
            try:
                progress.close()
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
                if metrics is not None:
                    metrics.close()
                    if metrics.path.exists():
                        plot_losses(metrics.path, self.directory / "loss_curves.png")
                    self.hooks("ganzoo_run_end", run=self, status=self.status)
            finally:
                self._close_directory(failure)
        elapsed = time.perf_counter() - started
        logger.info("%s after %d steps (%.1f s); outputs in %s", self.status, self.step, elapsed, self.directory)
        return self.status
