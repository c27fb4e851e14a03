"""The speed-minded defaults change no result beyond floating-point rounding.

* ``train.fused_optimizer`` (on by default): the fused Adam kernel against the per-tensor loop.
* The ``ganzoo`` command lets OpenMP's idle threads sleep unless the environment chose otherwise.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch
from test_training import tiny

from ganzoo.training import Trainer, resolve_run_config


def _train(recipe: str, out: Path, fused: bool, steps: int = 3) -> tuple[list[dict[str, float]], dict[str, torch.Tensor]]:
    trainer = Trainer.create(resolve_run_config(tiny(recipe, out, steps=steps, extra=[f"train.fused_optimizer={str(fused).lower()}"])))
    for net in trainer.networks.values():
        net.train()
    losses = []
    for index, batch in zip(range(steps), trainer.loader, strict=False):
        trainer.step = index
        losses.append({key: float(value) for key, value in trainer.train_step(batch).items()})
    weights = {f"{name}.{key}": value.detach().clone() for name, net in trainer.networks.items() for key, value in net.state_dict().items()}
    return losses, weights


def test_fused_adam_is_the_default_and_on_for_the_cpu(tmp_path: Path) -> None:
    trainer = Trainer.create(resolve_run_config(tiny("pix2pix", tmp_path / "run", steps=1)))
    assert trainer.config["train"]["fused_optimizer"] is True
    assert all(group.get("fused") for optimizer in trainer.updates.optimizers.values() for group in optimizer.param_groups)


def test_fused_and_per_tensor_adam_train_alike(tmp_path: Path) -> None:
    for recipe in ("pix2pix", "cyclegan"):
        fused_losses, fused_weights = _train(recipe, tmp_path / f"{recipe}-fused", fused=True)
        loop_losses, loop_weights = _train(recipe, tmp_path / f"{recipe}-loop", fused=False)
        for fused_step, loop_step in zip(fused_losses, loop_losses, strict=True):
            for key, value in fused_step.items():
                assert abs(value - loop_step[key]) <= 1e-4 * max(1.0, abs(value)), (recipe, key)
        if recipe == "cyclegan":
            # Its ResNet convolutions keep biases ahead of InstanceNorm, which cancels them: their
            # gradients are rounding noise, which Adam scales up to full steps of either sign.
            continue
        for key, value in fused_weights.items():
            torch.testing.assert_close(value, loop_weights[key], rtol=1e-4, atol=1e-5, msg=f"{recipe} {key}")


def _wait_policy(environment: dict[str, str]) -> str:
    code = "import os; from ganzoo.cli import _openmp_defaults; _openmp_defaults(); print(os.environ.get('OMP_WAIT_POLICY'))"
    env = {key: value for key, value in os.environ.items() if key != "OMP_WAIT_POLICY"} | environment
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.strip()


def test_the_command_lets_idle_threads_sleep_unless_told_otherwise() -> None:
    assert _wait_policy({}) == "PASSIVE"
    assert _wait_policy({"OMP_WAIT_POLICY": "ACTIVE"}) == "ACTIVE"
