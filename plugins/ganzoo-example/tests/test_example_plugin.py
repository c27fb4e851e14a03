"""Tests of the example plugin, run the way a plugin author would: against ganzoo's plugin host."""

from __future__ import annotations

import torch
from ganzoo_example import plugin

from ganzoo.plugins import PluginHost


def host() -> PluginHost:
    """A host with the built-in zoo and this plugin only, whatever else is installed."""
    result = PluginHost(third_party=False)
    result.add_plugin(plugin, "example", distribution="ganzoo-example")
    return result


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
