"""Tests of the built-in generators and discriminators (CPU, small sizes, no network access)."""

import inspect
import socket
import subprocess
import sys
import typing

import pytest
import torch
from torch import nn

from ganzoo.contracts import GanNetwork
from ganzoo.plugins import PluginHost
from ganzoo.zoo import layers
from ganzoo.zoo.discriminators import (
    DCGANDiscriminator,
    MLPDiscriminator,
    MultiScalePatchGANDiscriminator,
    PatchGANDiscriminator,
    ProjectionDiscriminator,
    TimmDiscriminator,
)
from ganzoo.zoo.generators import (
    ConditionalDCGANGenerator,
    DCGANGenerator,
    ExemplarInpaintingGenerator,
    MLPGenerator,
    ResnetGenerator,
    UNetGenerator,
)
from ganzoo.zoo.generators.unet import UNetSkipBlock
from ganzoo.zoo.layers import count_parameters

TIMM_BACKBONE = "resnet10t"  # small timm model, built with random weights

VOCABULARY = {"z", "label", "source", "mask", "exemplar", "image", "condition"}
CONTEXT_TYPES = {
    "image_size": int,
    "out_channels": int,
    "latent_dim": int,
    "in_channels": int,
    "num_classes": int,
    "cond_channels": int,
}


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any attempt to open a network connection fail loudly."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


# (factory, expected output shape for batch 2) for every network, at small sizes.
GENERATOR_CASES = {
    "mlp": (lambda: MLPGenerator(), (2, 1, 28, 28)),
    "mlp_leaky_rgb32": (lambda: MLPGenerator(image_size=32, out_channels=3, activation="leaky_relu"), (2, 3, 32, 32)),
    "dcgan28": (lambda: DCGANGenerator(image_size=28, out_channels=1, ngf=8), (2, 1, 28, 28)),
    "dcgan32": (lambda: DCGANGenerator(image_size=32, ngf=8, latent_dim=16), (2, 3, 32, 32)),
    "dcgan64": (lambda: DCGANGenerator(image_size=64, ngf=8, activation="leaky_relu"), (2, 3, 64, 64)),
    "dcgan8": (lambda: DCGANGenerator(image_size=8, ngf=8), (2, 3, 8, 8)),
    "unet32": (lambda: UNetGenerator(image_size=32, ngf=8), (2, 3, 32, 32)),
    "unet64_instance": (lambda: UNetGenerator(image_size=64, ngf=8, norm="instance", in_channels=1), (2, 3, 64, 64)),
    "unet64_shallow": (lambda: UNetGenerator(image_size=64, num_downs=5, ngf=8, norm="none"), (2, 3, 64, 64)),
    "resnet32": (lambda: ResnetGenerator(image_size=32, ngf=8, n_blocks=2), (2, 3, 32, 32)),
    "resnet36_batch": (
        lambda: ResnetGenerator(image_size=36, ngf=8, n_blocks=1, norm="batch", use_dropout=True, out_channels=1),
        (2, 1, 36, 36),
    ),
    "resnet_zero_pad": (lambda: ResnetGenerator(image_size=16, ngf=8, n_blocks=1, padding_type="zero"), (2, 3, 16, 16)),
    "cdcgan28": (lambda: ConditionalDCGANGenerator(image_size=28, out_channels=1, ngf=8), (2, 1, 28, 28)),
    "cdcgan32": (lambda: ConditionalDCGANGenerator(image_size=32, ngf=8, num_classes=3, embed_dim=4), (2, 3, 32, 32)),
    "exgan_reference": (lambda: ExemplarInpaintingGenerator(ngf=8), (2, 3, 32, 32)),
    "exgan_code": (lambda: ExemplarInpaintingGenerator(ngf=8, exemplar_mode="code", code_dim=16), (2, 3, 32, 32)),
    "exgan16_gray": (
        lambda: ExemplarInpaintingGenerator(image_size=16, out_channels=1, ngf=8, norm="instance"),
        (2, 1, 16, 16),
    ),
}

DISCRIMINATOR_CASES = {
    "mlp": (lambda: MLPDiscriminator(), [(2, 1)]),
    "mlp_dropout": (lambda: MLPDiscriminator(image_size=32, in_channels=3, dropout=0.3), [(2, 1)]),
    "dcgan28": (lambda: DCGANDiscriminator(image_size=28, in_channels=1, ndf=8, norm="none", dropout=0.3), [(2, 1)]),
    "dcgan32_sn": (lambda: DCGANDiscriminator(image_size=32, ndf=8, spectral_norm=True), [(2, 1)]),
    "dcgan64_instance_cond": (
        lambda: DCGANDiscriminator(image_size=64, ndf=8, norm="instance", cond_channels=1),
        [(2, 1)],
    ),
    "patchgan32": (lambda: PatchGANDiscriminator(image_size=32, ndf=8), [(2, 1, 2, 2)]),
    "patchgan64_cond": (lambda: PatchGANDiscriminator(image_size=64, ndf=8, cond_channels=3), [(2, 1, 6, 6)]),
    "patchgan32_sn_instance": (
        lambda: PatchGANDiscriminator(image_size=32, ndf=8, n_layers=2, norm="instance", spectral_norm=True),
        [(2, 1, 6, 6)],
    ),
    "multiscale": (
        lambda: MultiScalePatchGANDiscriminator(image_size=32, ndf=8, n_layers=1),
        [(2, 1, 14, 14), (2, 1, 6, 6), (2, 1, 2, 2)],
    ),
    "multiscale_cond": (
        lambda: MultiScalePatchGANDiscriminator(image_size=96, ndf=8, num_scales=2, cond_channels=1, norm="batch"),
        [(2, 1, 10, 10), (2, 1, 4, 4)],
    ),
    "projection32": (lambda: ProjectionDiscriminator(ndf=8), [(2, 1)]),
    "projection28_nosn": (
        lambda: ProjectionDiscriminator(image_size=28, in_channels=1, ndf=8, spectral_norm=False),
        [(2, 1)],
    ),
    "timm_pool": (lambda: TimmDiscriminator(backbone=TIMM_BACKBONE, image_size=32), [(2, 1)]),
    "timm_patch_cond": (
        lambda: TimmDiscriminator(backbone=TIMM_BACKBONE, image_size=64, head="patch", cond_channels=3),
        [(2, 1, 2, 2)],
    ),
}


def _loss(output: torch.Tensor | list[torch.Tensor]) -> torch.Tensor:
    outputs = output if isinstance(output, list) else [output]
    return sum(o.square().mean() for o in outputs)


def _assert_all_parameters_get_gradients(network: nn.Module) -> None:
    for name, parameter in network.named_parameters():
        assert parameter.grad is not None, f"no gradient reached {name}"
        assert torch.isfinite(parameter.grad).all(), f"non-finite gradient in {name}"
    assert any(p.grad.abs().sum() > 0 for p in network.parameters())


# --------------------------------------------------------------------------- exact reference sizes


@pytest.mark.parametrize(
    "factory, expected",
    [
        # pix2pix unet_256 (reference prints 54.414 M)
        (lambda: UNetGenerator(image_size=256), 54_413_955),
        # pix2pix unet_128
        (lambda: UNetGenerator(image_size=128), 41_828_995),
        # CycleGAN resnet_9blocks (11.378 M) and resnet_6blocks
        (lambda: ResnetGenerator(), 11_378_179),
        (lambda: ResnetGenerator(n_blocks=6), 7_837_699),
        # pix2pix 70×70 PatchGAN on cat(A, B) with batch norm (2.769 M)
        (lambda: PatchGANDiscriminator(in_channels=3, cond_channels=3), 2_768_705),
        # CycleGAN 70×70 PatchGAN with instance norm (2.765 M)
        (lambda: PatchGANDiscriminator(in_channels=3, norm="instance"), 2_764_737),
        # PyTorch DCGAN example, 64×64 RGB, nz 100
        (lambda: DCGANGenerator(), 3_576_704),
        (lambda: DCGANDiscriminator(), 2_765_568),
    ],
    ids=[
        "unet_256",
        "unet_128",
        "resnet_9blocks",
        "resnet_6blocks",
        "patchgan_6ch",
        "patchgan_3ch_instance",
        "dcgan_g",
        "dcgan_d",
    ],
)
def test_reference_parameter_counts(factory: typing.Callable[[], nn.Module], expected: int) -> None:
    assert count_parameters(factory()) == expected


def test_reference_counts_round_to_published_figures() -> None:
    # The reference code prints "%.3f M"; these are the published figures.
    assert f"{count_parameters(PatchGANDiscriminator(cond_channels=3)) / 1e6:.3f}" == "2.769"
    assert f"{count_parameters(PatchGANDiscriminator(norm='instance')) / 1e6:.3f}" == "2.765"
    with torch.device("meta"):  # shape-only construction: counting needs no memory
        assert f"{count_parameters(UNetGenerator()) / 1e6:.3f}" == "54.414"
        assert f"{count_parameters(ResnetGenerator()) / 1e6:.3f}" == "11.378"


def test_reference_patchgan_output_size() -> None:
    d = PatchGANDiscriminator(ndf=8, cond_channels=3)
    assert d.receptive_field == 70
    with torch.no_grad():
        assert d(*d.example_inputs(1)).shape == (1, 1, 30, 30)


# --------------------------------------------------------------------------- forward / backward


@pytest.mark.parametrize("case", list(GENERATOR_CASES))
def test_generator_forward_shape_range_and_gradients(case: str) -> None:
    factory, shape = GENERATOR_CASES[case]
    g = factory()
    inputs = g.example_inputs(2)
    assert len(inputs) == len(g.inputs)
    out = g(*inputs)
    assert isinstance(out, torch.Tensor)
    assert out.shape == shape
    assert out.min() >= -1 and out.max() <= 1
    loss = _loss(out)
    if isinstance(g, ExemplarInpaintingGenerator):
        loss = loss + g.encode(inputs[2]).square().mean()  # the code encoder learns through the code loss
    loss.backward()
    _assert_all_parameters_get_gradients(g)


@pytest.mark.parametrize("case", list(DISCRIMINATOR_CASES))
def test_discriminator_forward_shape_and_gradients(case: str, no_network: None) -> None:
    factory, shapes = DISCRIMINATOR_CASES[case]
    d = factory()
    inputs = d.example_inputs(2)
    assert len(inputs) == len(d.inputs)
    out = d(*inputs)
    outputs = out if isinstance(out, list) else [out]
    assert isinstance(out, list) == isinstance(d, MultiScalePatchGANDiscriminator)
    assert [tuple(o.shape) for o in outputs] == shapes
    # Raw logits: nothing squashes them into (0, 1).
    assert all(not isinstance(m, nn.Sigmoid) for m in d.modules())
    _loss(out).backward()
    _assert_all_parameters_get_gradients(d)


def test_generators_accept_batch_of_one() -> None:
    for g in (
        DCGANGenerator(image_size=28, ngf=8),
        UNetGenerator(image_size=32, ngf=8),
        ExemplarInpaintingGenerator(ngf=8),
    ):
        assert g(*g.example_inputs(1)).shape[0] == 1


def test_example_inputs_follow_vocabulary() -> None:
    g = ExemplarInpaintingGenerator(ngf=8)
    source, mask, exemplar = g.example_inputs(3)
    assert mask.shape == (3, 1, 32, 32)
    assert set(mask.unique().tolist()) <= {0.0, 1.0} and (mask.sum(dim=(1, 2, 3)) > 0).all()
    assert (source * mask == 0).all()
    assert exemplar.shape == source.shape == (3, 3, 32, 32)
    z, label = ConditionalDCGANGenerator(num_classes=4, ngf=8).example_inputs(5)
    assert z.shape == (5, 100) and label.shape == (5,) and label.dtype == torch.int64 and label.max() < 4
    image, label = ProjectionDiscriminator(ndf=8, num_classes=3).example_inputs(4)
    assert image.min() >= -1 and image.max() <= 1 and label.dtype == torch.int64


def test_a_new_conditional_generator_varies_with_its_noise_more_than_with_its_class() -> None:
    # A class code as large as the noise lets training collapse to one image per class.
    torch.manual_seed(0)
    g = ConditionalDCGANGenerator(num_classes=10, image_size=32, out_channels=1, ngf=8)  # batch statistics
    with torch.no_grad():
        images = g(torch.randn(200, 100), torch.arange(200) % 10).view(20, 10, -1)  # [noise draw, class]
    across_noise = images.std(dim=0).mean()
    across_classes = images.mean(dim=0).std(dim=0).mean()
    assert across_noise > 3 * across_classes
    assert ConditionalDCGANGenerator(ngf=8, init=False).embedding.weight.std() > 0.5  # PyTorch's N(0, 1) kept


# --------------------------------------------------------------------------- invalid settings


@pytest.mark.parametrize(
    "factory, message",
    [
        (lambda: MLPGenerator(image_size=0), r"image_size=0"),
        (lambda: MLPGenerator(activation="tanh"), r"activation='tanh'.*'relu' or 'leaky_relu'"),
        (lambda: DCGANGenerator(image_size=48), r"image_size=48 .*use 28 or a power of two ≥ 8"),
        (lambda: DCGANGenerator(image_size=4), r"image_size=4 .*8, 16, 32 or 64"),
        (
            lambda: UNetGenerator(image_size=100),
            r"image_size=100 is not a power of two ≥ 2\*\*5; use 32, 64, 128 or 256",
        ),
        (
            lambda: UNetGenerator(image_size=96),
            r"image_size=96 .*use 32, 64, 128 or 256, or set num_downs to one of \[5\]",
        ),
        (lambda: UNetGenerator(image_size=16), r"image_size=16 is not a power of two ≥ 2\*\*5"),
        (
            lambda: UNetGenerator(image_size=96, num_downs=6),
            r"image_size=96 is not divisible by 2\*\*num_downs=64; use num_downs in \[5\]",
        ),
        (lambda: UNetGenerator(num_downs=3), r"num_downs=3 is too small; use num_downs ≥ 5"),
        (lambda: ResnetGenerator(image_size=30), r"image_size=30 is not a multiple of 4.*use e.g. 32"),
        (lambda: ResnetGenerator(norm="group"), r"norm='group'"),
        (lambda: ConditionalDCGANGenerator(image_size=20), r"image_size=20 .*28 or a power of two"),
        (lambda: ConditionalDCGANGenerator(num_classes=0), r"num_classes=0"),
        (
            lambda: ExemplarInpaintingGenerator(image_size=8),
            r"image_size=8 is not a power of two ≥ 16; use 16, 32, 64 or 128",
        ),
        (lambda: ExemplarInpaintingGenerator(image_size=48), r"image_size=48"),
        (lambda: ExemplarInpaintingGenerator(exemplar_mode="pixels"), r"exemplar_mode='pixels'.*'reference' or 'code'"),
        (lambda: MLPDiscriminator(dropout=1.0), r"dropout=1.0 must lie in \[0, 1\)"),
        (lambda: DCGANDiscriminator(image_size=12), r"image_size=12 .*28 or a power of two ≥ 8"),
        (lambda: DCGANDiscriminator(cond_channels=-1), r"cond_channels=-1"),
        (
            lambda: PatchGANDiscriminator(image_size=16),
            r"image_size=16 is too small for n_layers=3.*≥ 24, or use n_layers ≤ 2",
        ),
        (lambda: PatchGANDiscriminator(n_layers=0), r"n_layers=0"),
        (
            lambda: MultiScalePatchGANDiscriminator(image_size=64),
            r"image_size=64 is too small for num_scales=3.*image_size ≥ 93",
        ),
        (lambda: ProjectionDiscriminator(image_size=4), r"image_size=4 is too small; use image_size ≥ 8"),
        (
            lambda: TimmDiscriminator(backbone="resnet19"),
            r"backbone='resnet19' is not a timm model; did you mean .*'resnet18'",
        ),
        (
            lambda: TimmDiscriminator(backbone=TIMM_BACKBONE, image_size=16),
            r"image_size=16 is smaller than the total stride 32",
        ),
        (lambda: TimmDiscriminator(head="mean"), r"head='mean'"),
    ],
)
def test_invalid_settings_raise_helpful_value_error(
    factory: typing.Callable[[], nn.Module], message: str, no_network: None
) -> None:
    with pytest.raises(ValueError, match=message) as error:
        factory()
    assert str(error.value).split(":")[0].endswith(("Generator", "Discriminator"))


def test_patchgan_rejects_too_small_input_at_forward() -> None:
    d = PatchGANDiscriminator(image_size=32, ndf=8)
    with pytest.raises(ValueError, match=r"input side=16 is too small for n_layers=3"):
        d(torch.zeros(1, 3, 16, 16))


def test_conditional_discriminators_check_the_condition() -> None:
    d = PatchGANDiscriminator(image_size=32, ndf=8, cond_channels=2)
    image, condition = d.example_inputs()
    with pytest.raises(ValueError, match="no condition was given"):
        d(image)
    with pytest.raises(ValueError, match="condition has 3 channels but cond_channels=2"):
        d(image, image)
    plain = PatchGANDiscriminator(image_size=32, ndf=8)
    with pytest.raises(ValueError, match="cond_channels=0"):
        plain(image, condition)


# --------------------------------------------------------------------------- specific behaviour


@pytest.mark.parametrize("image_size, num_downs", [(32, 5), (64, 6), (128, 7), (256, 8)])
def test_unet_depth_follows_image_size(image_size: int, num_downs: int) -> None:
    with torch.device("meta"):
        g = UNetGenerator(image_size=image_size, ngf=8)
    assert g.num_downs == num_downs
    assert sum(isinstance(m, UNetSkipBlock) for m in g.modules()) == num_downs
    # Dropout sits in the num_downs - 5 inner ngf*8 decoder levels only, as in the reference.
    assert sum(isinstance(m, nn.Dropout) for m in g.modules()) == num_downs - 5


def test_unet_follows_reference_bias_and_norm_placement() -> None:
    g = UNetGenerator(image_size=32, ngf=8)
    convs = [m for m in g.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    outer_up = g.model.model[3]
    assert isinstance(outer_up, nn.ConvTranspose2d) and outer_up.bias is not None
    assert all(m.bias is None for m in convs if m is not outer_up)  # batch norm: no other biases
    instance = UNetGenerator(image_size=32, ngf=8, norm="instance")
    assert all(m.bias is not None for m in instance.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)))
    norms = [m for m in instance.modules() if isinstance(m, nn.InstanceNorm2d)]
    assert norms and all(not m.affine and not m.track_running_stats for m in norms)


def test_resnet_generator_is_fully_convolutional() -> None:
    g = ResnetGenerator(image_size=32, ngf=8, n_blocks=1).eval()
    with torch.no_grad():
        assert g(torch.zeros(1, 3, 40, 24)).shape == (1, 3, 40, 24)


@pytest.mark.parametrize("size", [28, 32, 64])
def test_dcgan_pair_at_size(size: int) -> None:
    g = DCGANGenerator(image_size=size, out_channels=1, ngf=8, latent_dim=10)
    d = DCGANDiscriminator(image_size=size, in_channels=1, ndf=8)
    fake = g(*g.example_inputs(3))
    assert fake.shape == (3, 1, size, size)
    assert d(fake).shape == (3, 1)
    # Batch norm everywhere but the generator's output and the discriminator's input.
    assert isinstance(next(m for m in d.net if not isinstance(m, nn.Conv2d)), nn.LeakyReLU)
    assert isinstance(g.net[-2], nn.ConvTranspose2d) and isinstance(g.net[-1], nn.Tanh)


def test_dcgan_28_matches_tensorflow_tutorial_layout() -> None:
    g = DCGANGenerator(image_size=28, out_channels=1)
    widths = [m.out_channels for m in g.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert widths == [256, 128, 64, 1]
    d = DCGANDiscriminator(image_size=28, in_channels=1, norm="none", dropout=0.3)
    assert [m.out_channels for m in d.modules() if isinstance(m, nn.Conv2d)] == [64, 128]
    assert [m.p for m in d.modules() if isinstance(m, nn.Dropout)] == [0.3, 0.3]


def test_conditional_generator_uses_the_label() -> None:
    g = ConditionalDCGANGenerator(image_size=32, ngf=8).eval()
    z = torch.randn(1, 100).repeat(2, 1)
    with torch.no_grad():
        out = g(z, torch.tensor([0, 1]))
    assert not torch.allclose(out[0], out[1])


@pytest.mark.parametrize("mode", ["reference", "code"])
def test_exgan_modes(mode: str) -> None:
    g = ExemplarInpaintingGenerator(ngf=8, exemplar_mode=mode, code_dim=12).eval()
    source, mask, exemplar = g.example_inputs(2)
    with torch.no_grad():
        out = g(source, mask, exemplar)
        assert g.encode(exemplar).shape == (2, 12)
        # Pixels under the mask are never read.
        assert torch.allclose(g(source + mask * 5.0, mask, exemplar), out)
        # The exemplar steers the result.
        assert not torch.allclose(g(source, mask, torch.flip(exemplar, dims=[0])), out)
    first = g.down[0]
    assert first.in_channels == (7 if mode == "reference" else 4)


def test_patchgan_puts_condition_first() -> None:
    d = PatchGANDiscriminator(image_size=32, ndf=8, cond_channels=2).eval()
    with torch.no_grad():
        d.model[0].weight[:, 2:] = 0  # silence the image channels
    image, condition = d.example_inputs()
    with torch.no_grad():
        assert torch.allclose(d(image, condition), d(torch.randn_like(image), condition))


def test_multiscale_uses_pix2pixhd_pooling() -> None:
    d = MultiScalePatchGANDiscriminator(image_size=32, ndf=8, n_layers=1)
    pool = d.downsample
    assert (pool.kernel_size, pool.stride, pool.padding, pool.count_include_pad) == (3, 2, 1, False)
    assert len(d.discriminators) == 3
    assert d.discriminators[0] is not d.discriminators[1]  # no weight sharing


def test_projection_discriminator_uses_the_label() -> None:
    d = ProjectionDiscriminator(ndf=8, num_classes=5).eval()
    image = torch.rand(1, 3, 32, 32).repeat(2, 1, 1, 1)
    with torch.no_grad():
        logits = d(image, torch.tensor([0, 3]))
    assert logits.shape == (2, 1) and logits[0] != logits[1]
    assert hasattr(d.embedding, "parametrizations")  # spectral norm includes the embedding


def test_timm_discriminator_builds_without_network(no_network: None) -> None:
    d = TimmDiscriminator(backbone=TIMM_BACKBONE, image_size=64, feature_index=-2, head="patch")
    assert d(*d.example_inputs(2)).shape == (2, 1, 4, 4)
    d = TimmDiscriminator(backbone=TIMM_BACKBONE, image_size=32, in_channels=1, spectral_norm=True)
    assert d.backbone.feature_info.channels()[-1] == 512
    assert d(torch.zeros(2, 1, 32, 32)).shape == (2, 1)


def test_importing_the_zoo_does_not_import_timm() -> None:
    code = (
        "import sys; import ganzoo.zoo.generators, ganzoo.zoo.discriminators; "
        "sys.exit(1 if 'timm' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# --------------------------------------------------------------------------- constructor contract

ALL_CLASSES = [part.factory for part in PluginHost(third_party=False).registry.list() if part.kind in ("generator", "discriminator")]


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=lambda c: c.__name__)
def test_constructor_contract(cls: type[GanNetwork]) -> None:
    assert issubclass(cls, GanNetwork)
    parameters = inspect.signature(cls).parameters.values()
    assert parameters
    doc = inspect.getdoc(cls) or ""
    summary, _, rest = doc.partition("\n")
    assert summary.endswith(".") and "Args:" in rest
    for p in parameters:
        assert p.kind is inspect.Parameter.KEYWORD_ONLY, p.name
        assert p.default is not inspect.Parameter.empty, p.name
        assert p.annotation is not inspect.Parameter.empty and not isinstance(p.annotation, str), p.name
        if typing.get_origin(p.annotation) is typing.Literal:
            assert p.default in typing.get_args(p.annotation), p.name
        else:
            assert isinstance(p.default, p.annotation), p.name
        if p.name in CONTEXT_TYPES:
            assert p.annotation is CONTEXT_TYPES[p.name], p.name
        assert f"    {p.name}:" in doc, f"{p.name} is not documented"


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=lambda c: c.__name__)
def test_inputs_use_the_vocabulary(cls: type[GanNetwork], no_network: None) -> None:
    kwargs = {"image_size": 32} if "image_size" in inspect.signature(cls).parameters else {}
    if cls is MultiScalePatchGANDiscriminator:
        kwargs["n_layers"] = 1
    if cls is TimmDiscriminator:
        kwargs["backbone"] = TIMM_BACKBONE
    if cls in (UNetGenerator, ResnetGenerator, DCGANGenerator, ConditionalDCGANGenerator):
        kwargs["ngf"] = 8
    network = cls(**kwargs)
    assert network.inputs and set(network.inputs) <= VOCABULARY
    assert network.example_inputs(1)[0].device == network.device


# --------------------------------------------------------------------------- layers


def test_norm_layer_kinds() -> None:
    batch = layers.norm_layer("batch", 4)
    assert isinstance(batch, nn.BatchNorm2d) and batch.affine and batch.track_running_stats
    instance = layers.norm_layer("instance", 4)
    assert isinstance(instance, nn.InstanceNorm2d) and not instance.affine and not instance.track_running_stats
    assert isinstance(layers.norm_layer("none", 4), nn.Identity)
    with pytest.raises(ValueError, match="norm='group'"):
        layers.norm_layer("group", 4)  # type: ignore[arg-type]


def test_init_weights_statistics() -> None:
    net = nn.Sequential(nn.Conv2d(64, 256, 3), nn.BatchNorm2d(256), nn.Linear(256, 512))
    layers.init_weights(net)
    assert abs(net[0].weight.std().item() - 0.02) < 0.002 and net[0].bias.abs().max() == 0
    assert abs(net[1].weight.mean().item() - 1) < 0.01 and net[1].bias.abs().max() == 0
    assert abs(net[2].weight.std().item() - 0.02) < 0.002


def test_init_weights_under_spectral_norm() -> None:
    conv = layers.maybe_spectral_norm(nn.Conv2d(16, 32, 3), True)
    layers.init_weights(conv)
    original = conv.parametrizations.weight.original
    assert abs(original.std().item() - 0.02) < 0.005
    assert torch.linalg.matrix_norm(conv.weight.flatten(1), ord=2).item() == pytest.approx(1.0, abs=0.05)
    plain = nn.Linear(3, 3)
    assert layers.maybe_spectral_norm(plain, False) is plain
