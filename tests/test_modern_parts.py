"""The modern parts: RaGAN, R2 and LeCam against hand-derived values; SNGAN and R3GAN networks against the references."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from ganzoo.cli import main
from ganzoo.training.checkpoint import load_checkpoint
from ganzoo.training.outputs import read_metrics
from ganzoo.zoo.discriminators.r3gan import R3GANDiscriminator
from ganzoo.zoo.discriminators.sngan import SNGANDiscriminator
from ganzoo.zoo.generators.r3gan import R3GANGenerator
from ganzoo.zoo.generators.sngan import SNGANGenerator
from ganzoo.zoo.layers import SelfAttention, count_parameters
from ganzoo.zoo.losses import RelativisticAverageLoss, RelativisticPairingLoss
from ganzoo.zoo.r3gan_layers import LEAKY_GAIN, Resample, ResidualBlock
from ganzoo.zoo.regularisers import LeCamRegulariser, R2Penalty

REAL = torch.tensor([[2.0], [-1.0]])
FAKE = torch.tensor([[0.5], [-3.0]])


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


class OneWeight(nn.Module):
    """D(x) = w · Σ x per sample: ∇ₓD = w everywhere, so ‖∇ₓD‖² = w² · (values per sample)."""

    def __init__(self, w: float = 0.5) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.tensor(w))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w * x.flatten(1).sum(dim=1, keepdim=True)


class Squares(nn.Module):
    """D(x) = w · Σ x² per sample: ∇ₓD = 2wx, so ‖∇ₓD‖² = 4w² Σ x²."""

    def __init__(self, w: float = 0.5) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.tensor(w))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w * x.flatten(1).pow(2).sum(dim=1, keepdim=True)


# --- losses ---------------------------------------------------------------------------------------


def test_relativistic_is_r3gans_rpgan() -> None:
    loss = RelativisticPairingLoss()
    # R3GAN: D minimises softplus(-(D(real) - D(fake))), G minimises softplus(-(D(fake) - D(real))).
    d = (softplus(-(2.0 - 0.5)) + softplus(-(-1.0 + 3.0))) / 2
    g = (softplus(-(0.5 - 2.0)) + softplus(-(-3.0 + 1.0))) / 2
    assert loss.discriminator_loss(REAL, FAKE).item() == pytest.approx(d, rel=1e-6)
    assert loss.generator_loss(FAKE, REAL).item() == pytest.approx(g, rel=1e-6)


def test_relativistic_average_by_hand() -> None:
    loss = RelativisticAverageLoss()
    assert loss.uses_real_logits
    # mean D(fake) = -1.25 and mean D(real) = 0.5: real - mean fake = (3.25, 0.25), fake - mean real = (0, -3.5).
    real_rel, fake_rel = (3.25, 0.25), (0.0, -3.5)
    d = sum(softplus(-r) for r in real_rel) / 2 + sum(softplus(f) for f in fake_rel) / 2  # BCE(·, 1) + BCE(·, 0)
    g = sum(softplus(-f) for f in fake_rel) / 2 + sum(softplus(r) for r in real_rel) / 2  # the reverse
    assert loss.discriminator_loss(REAL, FAKE).item() == pytest.approx(d, rel=1e-6)
    assert loss.generator_loss(FAKE, REAL).item() == pytest.approx(g, rel=1e-6)
    with pytest.raises(ValueError, match="real_logits"):
        loss.generator_loss(FAKE)


def test_relativistic_average_generator_gradient_includes_the_fake_mean_against_reals() -> None:
    fake = FAKE.clone().requires_grad_(True)
    RelativisticAverageLoss().generator_loss(fake, REAL).backward()
    # d/df_i of mean_j softplus(-(f_j - mr)) + mean_j softplus(r_j - mean f) with mr = 0.5, mean f = -1.25.
    sigmoid = lambda x: 1 / (1 + math.exp(-x))
    for i, f in enumerate((0.5, -3.0)):
        own = -sigmoid(-(f - 0.5)) / 2
        through_mean = -sum(sigmoid(r + 1.25) for r in (2.0, -1.0)) / 2 / 2
        assert fake.grad[i, 0].item() == pytest.approx(own + through_mean, rel=1e-6)


def test_r2_penalises_gradients_on_generated_data_only() -> None:
    d, gamma = OneWeight(0.5), 4.0
    real, fake = torch.randn(3, 1, 2, 2), torch.randn(3, 1, 2, 2)
    value = R2Penalty(weight=gamma)(d, real, fake)
    assert value.item() == pytest.approx(gamma / 2 * 0.25 * 4, rel=1e-6)  # γ/2 · w² · 4 values
    value.backward()
    assert d.w.grad.item() == pytest.approx(gamma * 0.5 * 4, rel=1e-6)  # γ · w · 4: the penalty trains D
    squares = Squares(0.5)
    expected = gamma / 2 * (4 * 0.25 * fake.flatten(1).pow(2).sum(dim=1)).mean().item()
    assert R2Penalty(weight=gamma)(squares, real * 100, fake).item() == pytest.approx(expected, rel=1e-5)


def test_r2_lazy_every_k_scales_by_k_and_applies_on_every_kth_step() -> None:
    d, real, fake = OneWeight(0.5), torch.zeros(2, 1, 2, 2), torch.ones(2, 1, 2, 2)
    eager, lazy = R2Penalty(weight=2.0), R2Penalty(weight=2.0, every=4)
    assert lazy(d, real, fake).item() == pytest.approx(4 * eager(d, real, fake).item(), rel=1e-6)
    assert [lazy.due(step) for step in range(9)] == [True, False, False, False, True, False, False, False, True]
    assert not R2Penalty(weight=0.0).due(0)


def test_lecam_anchors_move_as_moving_averages_and_the_penalty_is_by_hand() -> None:
    d = OneWeight(1.0)
    lecam = LeCamRegulariser(weight=2.0, decay=0.9)
    real1, fake1 = torch.tensor([[1.0], [3.0]]), torch.tensor([[-1.0], [0.0]])  # scores are the values
    first = lecam(d, real1, fake1)
    assert (lecam.anchor_real, lecam.anchor_fake) == pytest.approx((2.0, -0.5))  # the first batch's means
    # relu(D(real) - α_F)² = (1.5², 3.5²); relu(α_R - D(fake))² = (3², 2²).
    assert first.item() == pytest.approx(2.0 * ((1.5**2 + 3.5**2) / 2 + (3.0**2 + 2.0**2) / 2), rel=1e-6)
    real2, fake2 = torch.tensor([[0.0], [0.0]]), torch.tensor([[4.0], [4.0]])
    second = lecam(d, real2, fake2)
    alpha_r, alpha_f = 0.9 * 2.0 + 0.1 * 0.0, 0.9 * -0.5 + 0.1 * 4.0
    assert (lecam.anchor_real, lecam.anchor_fake) == pytest.approx((alpha_r, alpha_f))
    expected = max(0.0, 0.0 - alpha_f) ** 2 + max(0.0, alpha_r - 4.0) ** 2
    assert second.item() == pytest.approx(2.0 * expected, abs=1e-6)
    state = lecam.state_dict()
    restored = LeCamRegulariser(weight=2.0, decay=0.9)
    restored.load_state_dict(state)
    assert restored.state_dict() == state
    assert (state["anchor_real"], state["anchor_fake"]) == pytest.approx((alpha_r, alpha_f))


def test_lecam_trains_the_discriminator_and_refuses_a_bad_decay() -> None:
    d = OneWeight(1.0)
    LeCamRegulariser(weight=1.0)(d, torch.tensor([[2.0]]), torch.tensor([[0.0]])).backward()
    assert d.w.grad is not None and d.w.grad.item() > 0  # pulls the real score down towards α_F
    with pytest.raises(ValueError, match=r"decay must be a number in \[0, 1\)"):
        LeCamRegulariser(decay=1.0)


# --- networks -------------------------------------------------------------------------------------

# SNGAN at 32×32 (Miyato et al. 2018, CIFAR-10 ResNet): kwotsin/mimicry at commit
# a7fda06c4aff1e6af8dc4c4a35ed6636e434c766, SNGANGenerator32(nz=128, ngf=256) and
# SNGANDiscriminator32(ndf=128) built from torch_mimicry/nets/sngan/sngan_32.py's layers and counted:
# G 4,276,739, D 1,053,825; its SelfAttention(256) and SelfAttention(128) add 81,921 and 20,481.
# R3GAN's CIFAR-10 preset (widths 768, 2 blocks, cardinality 96, expansion 2, noise 64): brownvc/R3GAN
# at commit 19a7ddf463fbac2bd39b4c1c73d63f1c441c7403, R3GAN/Networks.py built as train.py's
# --preset=CIFAR10 does and counted: G 20,732,160, D 20,683,776.
REFERENCE_COUNTS = {
    "sngan G": (lambda: SNGANGenerator(latent_dim=128, image_size=32, out_channels=3, ngf=256), 4_276_739),
    "sngan D": (lambda: SNGANDiscriminator(image_size=32, in_channels=3, ndf=128), 1_053_825),
    "sngan G attention": (lambda: SNGANGenerator(attention=True), 4_276_739 + 81_921),
    "sngan D attention": (lambda: SNGANDiscriminator(attention=True), 1_053_825 + 20_481),
    "r3gan G": (lambda: R3GANGenerator(latent_dim=64, image_size=32, out_channels=3), 20_732_160),
    "r3gan D": (lambda: R3GANDiscriminator(image_size=32, in_channels=3), 20_683_776),
}


@pytest.mark.parametrize("case", list(REFERENCE_COUNTS))
def test_reference_configurations_have_the_reference_parameter_counts(case: str) -> None:
    build, expected = REFERENCE_COUNTS[case]
    assert count_parameters(build()) == expected


def test_sngan_discriminator_is_spectrally_normalised_everywhere_and_the_generator_nowhere() -> None:
    d, g = SNGANDiscriminator(ndf=16, attention=True), SNGANGenerator(ngf=16, attention=True)
    layers = [m for m in d.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert layers and all(parametrize.is_parametrized(m, "weight") for m in layers)
    assert not any(parametrize.is_parametrized(m) for m in g.modules() if isinstance(m, (nn.Conv2d, nn.Linear)))
    assert sum(isinstance(m, SelfAttention) for m in d.modules()) == 1


@pytest.mark.parametrize("size", [16, 24, 32, 48, 64])
def test_sngan_sizes(size: int) -> None:
    g, d = SNGANGenerator(image_size=size, out_channels=1, ngf=8), SNGANDiscriminator(image_size=size, in_channels=1, ndf=8)
    images = g(*g.example_inputs(2))
    assert images.shape == (2, 1, size, size) and images.abs().max() <= 1
    assert d(images).shape == (2, 1)


def test_sngan_attention_sits_at_16x16() -> None:
    g = SNGANGenerator(image_size=64, ngf=8, attention=True)
    seen: list[int] = []
    for module in g.modules():
        if isinstance(module, SelfAttention):
            module.register_forward_hook(lambda m, i, o: seen.append(o.shape[-1]))
    g(*g.example_inputs(1))
    assert seen == [16]
    with pytest.raises(ValueError, match="attention=true needs a 16×16 stage"):
        SNGANGenerator(image_size=48, attention=True)
    with pytest.raises(ValueError, match="multiple of 8 ≥ 16"):
        SNGANDiscriminator(image_size=20)


def test_r3gan_blocks_start_as_the_identity_with_fixup_scaled_gains() -> None:
    block = ResidualBlock(64, cardinality=8, expansion=2, kernel_size=3, total_blocks=16)
    x = torch.randn(2, 64, 8, 8)
    assert torch.equal(block(x), x)  # the last conv is zero
    std = LEAKY_GAIN * 16 ** (-1 / 4) / math.sqrt(64)  # gain · L^(-1/(2m-2)), m = 3, over √fan-in
    assert block.expand.weight.std().item() == pytest.approx(std, rel=0.05)
    assert not any(isinstance(m, (nn.BatchNorm2d, nn.GroupNorm, nn.LayerNorm)) for m in R3GANDiscriminator(widths=16, cardinality=2).modules())


def test_r3gan_resampling_keeps_constants_and_sizes() -> None:
    x = torch.full((1, 2, 8, 8), 3.0)
    up, down = Resample(up=True)(x), Resample(up=False)(x)
    assert up.shape == (1, 2, 16, 16) and down.shape == (1, 2, 4, 4)
    assert torch.allclose(up[..., 2:-2, 2:-2], torch.tensor(3.0)) and torch.allclose(down[..., 1:-1, 1:-1], torch.tensor(3.0))


def test_r3gan_per_stage_settings_and_their_errors() -> None:
    g = R3GANGenerator(image_size=16, widths=[32, 16, 8], blocks=[1, 2, 1], cardinality=[4, 2, 2], tanh=False)
    assert g(*g.example_inputs(2)).shape == (2, 3, 16, 16)
    assert sum(isinstance(m, ResidualBlock) for m in g.modules()) == 4
    d = R3GANDiscriminator(image_size=16, widths=[8, 16, 32], blocks=1, cardinality=2)
    assert d(torch.randn(2, 3, 16, 16)).shape == (2, 1)
    with pytest.raises(ValueError, match="widths has 2 stage"):
        R3GANGenerator(widths=[8, 8])
    with pytest.raises(ValueError, match="cannot be split into cardinality=3"):
        R3GANDiscriminator(widths=8, cardinality=3)
    with pytest.raises(ValueError, match="power of two ≥ 8"):
        R3GANGenerator(image_size=24)


# --- training with the new parts ------------------------------------------------------------------

TINY = ["train.batch_size=4", "train.steps=2", "train.progress=false", "train.sample_every=0", "train.log_every=1"]
RUNS = {
    "relativistic_average + r2 + lecam": ["loss.adversarial=relativistic_average", "loss.r2=r2", "loss.lecam=lecam"],
    "sngan networks": ["generator=sngan", "discriminator=sngan", "generator.ngf=8", "discriminator.ndf=8"],
    "r3gan networks": [
        "generator=r3gan", "discriminator=r3gan", "generator.widths=8", "generator.cardinality=2",
        "discriminator.widths=8", "discriminator.cardinality=2",
    ],
}


@pytest.mark.parametrize("case", list(RUNS))
def test_new_parts_train_inside_an_existing_recipe(case: str, tmp_path: Path) -> None:
    out = tmp_path / "run"
    words = ["generator.ngf=4", "discriminator.ndf=4"] if case.startswith("relativistic") else []
    assert main(["-q", "train", "recipe=dcgan", f"out={out}", *TINY, *words, *RUNS[case]]) == 0
    records = read_metrics(out / "metrics.jsonl")
    assert [r["step"] for r in records] == [1, 2]
    assert all(math.isfinite(v) for r in records for v in r.values())
    if case.startswith("relativistic"):
        assert {"D/adversarial", "D/r2", "D/lecam", "G/adversarial"} <= set(records[-1])


def test_lecam_anchors_are_saved_and_a_resumed_run_continues_exactly(tmp_path: Path) -> None:
    words = ["recipe=dcgan", "generator.ngf=4", "discriminator.ndf=4", "loss.lecam=lecam", "train.batch_size=4",
             "train.progress=false", "train.sample_every=0", "train.log_every=1", "train.checkpoint_every=2"]
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    assert main(["-q", "train", *words, f"out={straight}", "train.steps=4"]) == 0
    assert main(["-q", "train", *words, f"out={resumed}", "train.steps=2"]) == 0
    halfway = load_checkpoint(resumed)["losses"]["lecam"]
    assert isinstance(halfway["anchor_real"], float) and isinstance(halfway["anchor_fake"], float)
    assert main(["-q", "train", f"resume={resumed}", "train.steps=4"]) == 0
    assert read_metrics(straight / "metrics.jsonl") == read_metrics(resumed / "metrics.jsonl")
    assert load_checkpoint(straight)["losses"]["lecam"] == load_checkpoint(resumed)["losses"]["lecam"]
