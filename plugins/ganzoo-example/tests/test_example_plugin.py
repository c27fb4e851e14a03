"""Tests of the example plugin, run the way a plugin author would: against ganzoo's plugin host."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from ganzoo_example import plugin

from ganzoo.cli import main
from ganzoo.contracts import StepControls
from ganzoo.plugins import PluginHost, set_host
from ganzoo.training import Trainer, load_recipe, resolve_run_config


def host() -> PluginHost:
    """A host with the built-in zoo and this plugin only, whatever else is installed."""
    result = PluginHost(third_party=False)
    result.add_plugin(plugin, "example", distribution="ganzoo-example")
    return result


@pytest.fixture
def as_the_process_host() -> PluginHost:
    """The host above, made process-wide (the command line and the trainer use it), then restored."""
    ours = host()
    previous = set_host(ours)
    yield ours
    set_host(previous)


def test_parts_register_and_build() -> None:
    registry = host().registry
    generator = registry.get("generator", "upsample").build(image_size=16, out_channels=1, ngf=8)
    discriminator = registry.get("discriminator", "minibatch_std").build(image_size=16, in_channels=1, ndf=8)
    images = generator(*generator.example_inputs(4))
    assert images.shape == (4, 1, 16, 16)
    assert discriminator(images).shape == (4,)


def test_smoothed_loss_values() -> None:
    loss = host().registry.get("loss", "smoothed_bce").build(real_label=0.9)
    zero = torch.zeros(3)
    # At logit 0, σ = 0.5: BCE is log 2 whatever the target.
    assert torch.isclose(loss.discriminator_loss(zero, zero), torch.tensor(2 * 0.6931471805599453))
    assert torch.isclose(loss.generator_loss(zero), torch.tensor(0.6931471805599453))


def test_warmup_schedule() -> None:
    schedule = host().registry.get("schedule", "d_warmup").build(warmup_steps=2)
    assert [schedule.update_generator(step) for step in range(4)] == [False, False, True, True]
    assert all(schedule.update_discriminator(step) for step in range(4))


def test_cosine_schedule_scales_one_role_per_step() -> None:
    schedule = host().registry.get("schedule", "cosine_lr").build(steps=4, final=0.2, role="generator")
    factors = []
    for step in (0, 2, 4, 10):
        controls = StepControls({"G": "generator", "D": "discriminator"})
        schedule.before_step(step, 0.0, controls)
        factors += [controls.lr_factor("G"), controls.lr_factor("D")]
    assert factors == pytest.approx([1.0, 1.0, 0.6, 1.0, 0.2, 1.0, 0.2, 1.0])


def test_the_recipe_is_registered_and_trains(tmp_path: Path, as_the_process_host: PluginHost) -> None:
    part = as_the_process_host.registry.get("recipe", "upsample-digits")
    assert part.plugin == "ganzoo-example" and part.summary.startswith("Digits from the example plugin")
    assert load_recipe("upsample-digits")["generator"]["name"] == "upsample"
    words = ["recipe=upsample-digits", "train.steps=2", "train.batch_size=4", "train.progress=false",
             "train.log_every=1", "train.sample_every=0", f"out={tmp_path / 'run'}"]
    assert Trainer.create(resolve_run_config(words)).fit() == "completed"
    logged = [json.loads(line) for line in (tmp_path / "run" / plugin.LOG_FILE).read_text().splitlines()]
    assert [record["step"] for record in logged] == [1, 2] and "D/adversarial" in logged[0]


def test_the_command_prints_the_log_and_refuses_a_run_without_one(
    tmp_path: Path, as_the_process_host: PluginHost, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / plugin.LOG_FILE).write_text("".join(json.dumps({"step": s, "D/adversarial": 0.5, "lr/G": 1e-4}) + "\n" for s in (1, 2, 3)))
    assert main(["example-log", str(run), "--last", "2"]) == 0
    assert capsys.readouterr().out.splitlines() == ["step 2: D/adversarial=0.5", "step 3: D/adversarial=0.5"]
    assert main(["example-log", str(tmp_path)]) == 2
    assert "holds no example_plugin.log" in capsys.readouterr().err
