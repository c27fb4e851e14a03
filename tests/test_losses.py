"""Tests of the built-in losses against values computed by hand."""

import inspect
import math

import pytest
import torch
from torch import nn

from ganzoo.contracts import AdversarialLoss, Penalty, ReconstructionLoss
from ganzoo.plugins import PluginHost
from ganzoo.zoo.losses import (
    BCEGANLoss,
    CodeLoss,
    CycleConsistencyLoss,
    GradientPenalty,
    HingeGANLoss,
    IdentityLoss,
    L1ReconstructionLoss,
    LSGANLoss,
    NonSaturatingGANLoss,
    R1Penalty,
    RelativisticAverageLoss,
    RelativisticPairingLoss,
    WGANLoss,
)
from ganzoo.zoo.regularisers import LeCamRegulariser, R2Penalty

#: The built-in losses by the names they are registered under.
LOSSES = {part.name: part.factory for part in PluginHost(third_party=False).registry.list("loss")}

REAL = torch.tensor([[2.0], [-1.0]])
FAKE = torch.tensor([[0.5], [-3.0]])
# A second scale of a multi-scale discriminator: one PatchGAN-shaped logit per sample.
REAL_2 = torch.tensor([1.0, 1.0]).view(2, 1, 1, 1)
FAKE_2 = torch.tensor([-1.0, -1.0]).view(2, 1, 1, 1)


def softplus(x: float) -> float:
    """log(1 + e^x), which is -log σ(-x) and -log(1 - σ(x))."""
    return math.log(1.0 + math.exp(x))


def close(value: torch.Tensor, expected: float) -> None:
    assert value.dim() == 0
    assert value.item() == pytest.approx(expected, rel=1e-6, abs=1e-7)


# --- metadata -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_parts_document_themselves(name: str) -> None:
    part = LOSSES[name]
    signature = inspect.signature(part)
    assert signature.parameters, part
    for parameter in signature.parameters.values():
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
        assert parameter.default is not inspect.Parameter.empty
        assert parameter.annotation in (float, int, bool)
    doc = inspect.getdoc(part)
    assert doc and "arXiv:" in doc and "Args:" in doc
    assert part.role in ("adversarial", "penalty", "reconstruction")
    assert part() is not None


def test_names_and_roles() -> None:
    found = {name: (part.role, part) for name, part in LOSSES.items()}
    assert found == {
        "bce": ("adversarial", BCEGANLoss),
        "nonsaturating": ("adversarial", NonSaturatingGANLoss),
        "lsgan": ("adversarial", LSGANLoss),
        "hinge": ("adversarial", HingeGANLoss),
        "wgan": ("adversarial", WGANLoss),
        "relativistic": ("adversarial", RelativisticPairingLoss),
        "relativistic_average": ("adversarial", RelativisticAverageLoss),
        "gradient_penalty": ("penalty", GradientPenalty),
        "r1": ("penalty", R1Penalty),
        "r2": ("penalty", R2Penalty),
        "lecam": ("penalty", LeCamRegulariser),
        "l1": ("reconstruction", L1ReconstructionLoss),
        "cycle": ("reconstruction", CycleConsistencyLoss),
        "identity": ("reconstruction", IdentityLoss),
        "code": ("reconstruction", CodeLoss),
    }
    for role, base in (("adversarial", AdversarialLoss), ("penalty", Penalty), ("reconstruction", ReconstructionLoss)):
        assert all(issubclass(part, base) for r, part in found.values() if r == role)


def test_reference_defaults() -> None:
    assert GradientPenalty().weight == 10.0
    assert R1Penalty().weight == 10.0
    assert L1ReconstructionLoss().weight == 100.0
    assert CycleConsistencyLoss().weight == 10.0
    assert IdentityLoss().weight == 5.0  # 0.5 x the cycle weight
    assert CodeLoss().weight == 1.0
    assert all(part().d_scale == 1.0 for part in LOSSES.values() if part.role == "adversarial")


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_invalid_d_scale(bad: float) -> None:
    with pytest.raises(ValueError, match="d_scale"):
        LSGANLoss(d_scale=bad)


def test_invalid_weight() -> None:
    with pytest.raises(ValueError, match="weight"):
        GradientPenalty(weight=-1.0)
    with pytest.raises(ValueError, match="weight"):
        L1ReconstructionLoss(weight=float("nan"))


# --- adversarial losses -------------------------------------------------------------------------

# D on REAL = [2, -1] and FAKE = [0.5, -3], then G on FAKE, each worked out by hand.
SINGLE_SCALE = {
    "bce": (
        (softplus(-2.0) + softplus(1.0)) / 2 + (softplus(0.5) + softplus(-3.0)) / 2,
        -(softplus(0.5) + softplus(-3.0)) / 2,
    ),
    "nonsaturating": (
        (softplus(-2.0) + softplus(1.0)) / 2 + (softplus(0.5) + softplus(-3.0)) / 2,
        (softplus(-0.5) + softplus(3.0)) / 2,
    ),
    # ((2-1)² + (-1-1)²)/2 + (0.5² + 3²)/2 = 2.5 + 4.625; G: ((0.5-1)² + (-3-1)²)/2.
    "lsgan": (7.125, 8.125),
    # (relu(-1) + relu(2))/2 + (relu(1.5) + relu(-2))/2 = 1 + 0.75; G: -(0.5 - 3)/2.
    "hinge": (1.75, 1.25),
    # mean(fake) - mean(real) = -1.25 - 0.5.
    "wgan": (-1.75, 1.25),
    # Pairs (2, 0.5) and (-1, -3): D softplus(fake - real), G softplus(real - fake).
    "relativistic": ((softplus(-1.5) + softplus(-2.0)) / 2, (softplus(1.5) + softplus(2.0)) / 2),
}

# The second scale alone: real logits 1, fake logits -1.
SECOND_SCALE = {
    "bce": (softplus(-1.0) + softplus(-1.0), -softplus(-1.0)),
    "nonsaturating": (softplus(-1.0) + softplus(-1.0), softplus(1.0)),
    "lsgan": (0.0 + 1.0, 4.0),
    "hinge": (0.0 + 0.0, 1.0),
    "wgan": (-2.0, 1.0),
    "relativistic": (softplus(-2.0), softplus(2.0)),
}

ADVERSARIAL = {name: part for name, part in LOSSES.items() if part.role == "adversarial"}


def g_loss(loss: AdversarialLoss, fake: object, real: object) -> torch.Tensor:
    """The generator's loss, given the real logits only when the loss asks for them (as the trainer does)."""
    return loss.generator_loss(fake, real_logits=real) if loss.uses_real_logits else loss.generator_loss(fake)


@pytest.mark.parametrize("name", sorted(SINGLE_SCALE))
def test_adversarial_single_scale(name: str) -> None:
    loss = ADVERSARIAL[name]()
    d_expected, g_expected = SINGLE_SCALE[name]
    close(loss.discriminator_loss(REAL, FAKE), d_expected)
    close(g_loss(loss, FAKE, REAL), g_expected)


@pytest.mark.parametrize("name", sorted(SINGLE_SCALE))
def test_adversarial_multi_scale_averages_scales(name: str) -> None:
    loss = ADVERSARIAL[name]()
    close(
        loss.discriminator_loss([REAL, REAL_2], [FAKE, FAKE_2]),
        (SINGLE_SCALE[name][0] + SECOND_SCALE[name][0]) / 2,
    )
    close(g_loss(loss, [FAKE, FAKE_2], [REAL, REAL_2]), (SINGLE_SCALE[name][1] + SECOND_SCALE[name][1]) / 2)


@pytest.mark.parametrize("name", sorted(SINGLE_SCALE))
def test_d_scale_multiplies_discriminator_loss_only(name: str) -> None:
    loss = ADVERSARIAL[name](d_scale=0.5)
    close(loss.discriminator_loss(REAL, FAKE), 0.5 * SINGLE_SCALE[name][0])
    close(g_loss(loss, FAKE, REAL), SINGLE_SCALE[name][1])


def test_lsgan_with_cyclegan_halving() -> None:
    close(LSGANLoss(d_scale=0.5).discriminator_loss(REAL, FAKE), 3.5625)


def test_scale_count_mismatch() -> None:
    with pytest.raises(ValueError, match="scale"):
        HingeGANLoss().discriminator_loss([REAL, REAL_2], FAKE)


@pytest.mark.parametrize("name", ["bce", "nonsaturating"])
def test_sigmoid_losses_are_stable_for_large_logits(name: str) -> None:
    real = torch.tensor([-1000.0, 1000.0], requires_grad=True)
    fake = torch.tensor([1000.0, -1000.0], requires_grad=True)
    loss = ADVERSARIAL[name]()
    d_loss = loss.discriminator_loss(real, fake)
    g_loss = loss.generator_loss(fake)
    # Each badly classified sample costs its logit (1000), averaged over two samples.
    close(d_loss, 500.0 + 500.0)
    (d_loss + g_loss).backward()
    assert torch.isfinite(real.grad).all() and torch.isfinite(fake.grad).all()


def test_generator_gradients_point_the_right_way() -> None:
    # Every generator loss should push the fake logits up (towards "real").
    for name, part in ADVERSARIAL.items():
        fake = torch.tensor([0.3, -0.2], requires_grad=True)
        g_loss(part(), fake, torch.tensor([0.1, 0.4])).backward()
        assert (fake.grad < 0).all(), name


def test_a_loss_using_real_logits_gets_them_per_scale_and_refuses_to_go_without() -> None:
    loss = RelativisticPairingLoss()
    with pytest.raises(ValueError, match="real_logits"):
        loss.generator_loss(FAKE)
    with pytest.raises(ValueError, match="scale"):
        loss.generator_loss([FAKE, FAKE_2], real_logits=REAL)


class _OldStyle(AdversarialLoss):
    """A loss written against the one-argument generator contract."""

    def scale_discriminator_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return (fake - real).mean()

    def scale_generator_loss(self, fake):  # the old one-argument signature, as plugins wrote it
        return -fake.mean()


def test_a_loss_with_the_one_argument_signature_still_works() -> None:
    loss = _OldStyle()
    assert loss.uses_real_logits is False
    close(loss.generator_loss(FAKE), 1.25)
    close(loss.generator_loss([FAKE, FAKE_2]), (1.25 + 1.0) / 2)


# --- penalties ----------------------------------------------------------------------------------


class LinearCritic(nn.Module):
    """D(x) = w · flatten(x) + b, whose input gradient is w everywhere."""

    def __init__(self, weight: torch.Tensor) -> None:
        super().__init__()
        self.weight = nn.Parameter(weight.clone())
        self.bias = nn.Parameter(torch.tensor(0.7))
        self.seen: list[torch.Tensor] = []

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        self.seen.append(image.detach().clone())
        return (image.flatten(1) @ self.weight + self.bias).unsqueeze(1)


W = torch.tensor([3.0, 0.0, 0.0, 4.0])  # norm 5, the input gradient of LinearCritic(W)


def images(seed: int, n: int = 3) -> torch.Tensor:
    return torch.randn(n, 1, 2, 2, generator=torch.Generator().manual_seed(seed))


def test_gradient_penalty_of_linear_critic() -> None:
    torch.manual_seed(0)
    critic = LinearCritic(W)
    penalty = GradientPenalty()(critic, images(1), images(2))
    close(penalty, 10.0 * (5.0 - 1.0) ** 2)
    # create_graph=True: the penalty trains the critic. d/dw 10 (|w| - 1)² = 20 (|w| - 1) w / |w|.
    penalty.backward()
    torch.testing.assert_close(critic.weight.grad, 20.0 * 4.0 * W / 5.0)


def test_gradient_penalty_interpolates_per_sample() -> None:
    torch.manual_seed(0)
    critic = LinearCritic(W)
    real, fake = images(1, n=4), images(2, n=4)
    GradientPenalty(weight=1.0)(critic, real, fake)
    (seen,) = critic.seen
    alpha = ((seen - fake) / (real - fake)).flatten(1)
    # One alpha per sample, shared by all its pixels, in [0, 1], and different across samples.
    torch.testing.assert_close(alpha, alpha[:, :1].expand_as(alpha))
    assert ((alpha >= 0) & (alpha <= 1)).all()
    assert alpha[:, 0].unique().numel() == 4


def test_gradient_penalty_of_patch_critic_uses_per_sample_mean() -> None:
    # A 1x1 convolution with weight c gives 4 patch logits c·x; their mean has gradient c/4 per pixel,
    # whose norm over the 4 pixels is |c| / 2.
    critic = nn.Conv2d(1, 1, kernel_size=1)
    with torch.no_grad():
        critic.weight.fill_(6.0)
    close(GradientPenalty(weight=1.0)(critic, images(1), images(2)), (3.0 - 1.0) ** 2)


def test_gradient_penalty_of_multi_scale_critic_averages_scales() -> None:
    first, second = LinearCritic(W), LinearCritic(torch.tensor([1.0, 0.0, 0.0, 2.0]))

    def critic(image: torch.Tensor) -> list[torch.Tensor]:
        return [first(image), second(image)]

    # The score is (w1 + w2)/2 · x: gradient [2, 0, 0, 3], norm √13.
    close(GradientPenalty(weight=1.0)(critic, images(1), images(2)), (math.sqrt(13.0) - 1.0) ** 2)


def test_gradient_penalty_condition_is_not_differentiated() -> None:
    seen = []

    def critic(image: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        seen.append(condition.requires_grad)
        return (image.flatten(1) @ W + condition.flatten(1).sum(1)).unsqueeze(1)

    condition = images(3).requires_grad_(True)
    # The condition's term has a gradient of its own, which must not enter the norm.
    close(GradientPenalty(weight=1.0)(critic, images(1), images(2), condition), 16.0)
    assert seen == [False]


def test_gradient_penalty_with_several_condition_tensors() -> None:
    calls = []

    def critic(image: torch.Tensor, mask: torch.Tensor, exemplar: torch.Tensor) -> torch.Tensor:
        calls.append((mask.requires_grad, exemplar.requires_grad))
        return (image.flatten(1) @ W).unsqueeze(1) + (mask * exemplar).flatten(1).sum(1, keepdim=True)

    mask, exemplar = images(3).requires_grad_(True), images(4)
    close(GradientPenalty(weight=1.0)(critic, images(1), images(2), (mask, exemplar)), 16.0)
    assert calls == [(False, False)]


def test_gradient_penalty_zero_gradient_stays_finite() -> None:
    critic = LinearCritic(torch.zeros(4))
    penalty = GradientPenalty()(critic, images(1), images(2))
    close(penalty, 10.0)
    penalty.backward()
    torch.testing.assert_close(critic.weight.grad, torch.zeros(4))


def test_gradient_penalty_shape_mismatch() -> None:
    with pytest.raises(ValueError, match="shape"):
        GradientPenalty()(LinearCritic(W), images(1, n=3), images(2, n=2))


def test_r1_of_linear_critic() -> None:
    critic = LinearCritic(W)
    real = images(1)
    penalty = R1Penalty()(critic, real, images(2))
    close(penalty, 10.0 / 2 * 25.0)
    # Only real data goes through the critic.
    (seen,) = critic.seen
    torch.testing.assert_close(seen, real)
    # d/dw γ/2 |w|² = γ w.
    penalty.backward()
    torch.testing.assert_close(critic.weight.grad, 10.0 * W)


def test_r1_of_quadratic_critic() -> None:
    # D(x) = Σ x²: gradient 2x, so R1 = γ/2 · mean over samples of 4 |x|².
    real = images(1)
    penalty = R1Penalty(weight=2.0)(lambda image: image.pow(2).flatten(1).sum(1), real, real)
    close(penalty, (4.0 * real.pow(2).flatten(1).sum(1)).mean().item())


def test_a_lazy_penalty_is_due_every_few_steps_and_that_much_stronger() -> None:
    real = images(1)
    lazy = R1Penalty(weight=2.0, every=4)
    assert [step for step in range(9) if lazy.due(step)] == [0, 4, 8]
    close(lazy(LinearCritic(W), real, real), 4 * R1Penalty(weight=2.0)(LinearCritic(W), real, real).item())
    assert all(GradientPenalty().due(step) for step in range(3))
    assert not any(R1Penalty(weight=0.0).due(step) for step in range(3))  # switched off
    for every in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="every must be an integer >= 1"):
            R1Penalty(every=every)


def test_penalties_leave_inputs_untouched() -> None:
    real, fake = images(1).requires_grad_(True), images(2).requires_grad_(True)
    for part in (GradientPenalty, R1Penalty):
        part()(LinearCritic(W), real, fake).backward()
    assert real.grad is None and fake.grad is None


# --- reconstruction losses ----------------------------------------------------------------------

OUTPUT = torch.zeros(1, 2, 2, 2)
TARGET = torch.tensor([[[[1.0, -2.0], [3.0, 4.0]], [[-5.0, 6.0], [7.0, 8.0]]]])  # |d| sums to 36
MASK = torch.tensor([[[[1.0, 0.0], [0.0, 1.0]]]])  # keeps |d| = 1, 4 (channel 0) and 5, 8 (channel 1)


def test_l1_without_mask() -> None:
    close(L1ReconstructionLoss(weight=1.0)(OUTPUT, TARGET), 36.0 / 8)
    close(L1ReconstructionLoss()(OUTPUT, TARGET), 100.0 * 36.0 / 8)


def test_l1_mask_is_a_mean_inside_the_mask() -> None:
    expected = (1.0 + 4.0 + 5.0 + 8.0) / (2 * 2)  # masked sum / (mask sum × channels)
    close(L1ReconstructionLoss(weight=1.0)(OUTPUT, TARGET, MASK), expected)
    # A mask with a channel axis of its own gives the same mean.
    close(L1ReconstructionLoss(weight=1.0)(OUTPUT, TARGET, MASK.expand(1, 2, 2, 2)), expected)


def test_l1_empty_mask_gives_zero() -> None:
    output = OUTPUT.clone().requires_grad_(True)
    loss = L1ReconstructionLoss()(output, TARGET, torch.zeros_like(MASK))
    close(loss, 0.0)
    loss.backward()
    assert torch.isfinite(output.grad).all()


def test_cycle_and_identity_are_weighted_l1() -> None:
    close(CycleConsistencyLoss()(OUTPUT, TARGET), 10.0 * 36.0 / 8)
    close(IdentityLoss()(OUTPUT, TARGET), 5.0 * 36.0 / 8)


def test_reconstruction_shape_mismatch() -> None:
    with pytest.raises(ValueError, match="shape"):
        L1ReconstructionLoss()(OUTPUT, TARGET[:, :1])


def test_code_loss_is_mean_euclidean_distance() -> None:
    codes = torch.tensor([[3.0, 4.0], [1.0, 1.0]])
    targets = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    close(CodeLoss()(codes, targets), (5.0 + 0.0) / 2)
    close(CodeLoss(weight=4.0)(codes, targets), 4.0 * 2.5)
    close(CodeLoss()(codes, targets, torch.tensor([[0.0, 1.0]])), (4.0 + 0.0) / 2)


def test_code_loss_gradient_is_finite_at_zero_distance() -> None:
    codes = torch.ones(2, 3, requires_grad=True)
    CodeLoss()(codes, torch.ones(2, 3)).backward()
    assert torch.isfinite(codes.grad).all()
