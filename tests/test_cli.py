"""The command line: list, info, plugins, build (every built-in pair), recipes, and its errors."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from ganzoo.cli import main
from ganzoo.config import load_yaml

GENERATORS = {
    "mlp": [],
    "dcgan": ["generator.ngf=8"],
    "cdcgan": ["generator.ngf=8"],
    "unet": ["generator.ngf=8"],
    "resnet": ["generator.ngf=8", "generator.n_blocks=1"],
    "exgan": ["generator.ngf=8"],
    "sngan": ["generator.ngf=8"],
    "r3gan": ["generator.widths=8", "generator.cardinality=2"],
}
DISCRIMINATORS = {
    "mlp": [],
    "dcgan": ["discriminator.ndf=8"],
    "patchgan": ["discriminator.ndf=8"],
    "multiscale_patchgan": ["discriminator.ndf=8", "discriminator.n_layers=1", "discriminator.num_scales=2"],
    "projection": ["discriminator.ndf=8"],
    "timm": ["discriminator.backbone=resnet10t"],
    "sngan": ["discriminator.ndf=8"],
    "r3gan": ["discriminator.widths=8", "discriminator.cardinality=2"],
}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_every_builtin_network_is_covered(capsys: pytest.CaptureFixture[str]) -> None:
    from ganzoo import list_parts

    assert sorted(GENERATORS) == [p.name for p in list_parts("generator") if p.plugin == "ganzoo"]
    assert sorted(DISCRIMINATORS) == [p.name for p in list_parts("discriminator") if p.plugin == "ganzoo"]


@pytest.mark.parametrize(("generator", "discriminator"), list(itertools.product(GENERATORS, DISCRIMINATORS)))
def test_build_every_builtin_pair(generator: str, discriminator: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    status, out, err = run(
        capsys, "build", f"generator={generator}", f"discriminator={discriminator}", "image_size=32", "channels=1",
        *GENERATORS[generator], *DISCRIMINATORS[discriminator], "--out", str(spec),
    )
    assert status == 0, err
    lines = out.splitlines()
    assert lines[1].split()[:2] == ["generator", generator]
    assert lines[2].split()[:2] == ["discriminator", discriminator]
    assert "(2, 1, 32, 32)" in lines[1]  # the generator's output shape
    assert "the pair fits" in out
    resolved = load_yaml(spec)
    assert resolved["generator"]["name"] == generator and resolved["discriminator"]["name"] == discriminator
    assert resolved["image_size"] == 32 and resolved["channels"] == 1
    # The written spec is accepted back as it is.
    assert main(["-q", "build", "--config", str(spec)]) == 0


def test_build_defaults_follow_the_generator_and_wire_a_conditional_discriminator(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "build", "generator=unet", "discriminator=patchgan", "image_size=64", "generator.ngf=8", "discriminator.ndf=8")
    assert status == 0
    assert "condition(2, 3, 64, 64)" in out  # the PatchGAN sees the U-Net's input beside its output
    status, out, _ = run(capsys, "build", "generator=mlp", "discriminator=mlp")
    assert status == 0 and "image_size=28 channels=1" in out
    assert "1,486,352" in out  # the classic 100-256-512-1024-784 generator


def test_reference_parameter_counts_through_build(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "build", "generator=unet", "discriminator=patchgan")
    assert status == 0
    assert "54,413,955" in out and "2,768,705" in out  # pix2pix: 54.414 M and 2.769 M (6 input channels)
    status, out, _ = run(capsys, "build", "generator=resnet", "discriminator=patchgan", "conditional=false", "discriminator.norm=instance")
    assert status == 0
    assert "11,378,179" in out and "2,764,737" in out  # CycleGAN: 11.378 M and 2.765 M


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["build", "generator=unte"], "unknown generator 'unte'; did you mean 'unet'?"),
        (["build", "discriminator=patchgna"], "did you mean 'patchgan'"),
        (["build", "generator=unet", "generator.ngff=8"], "unknown parameter 'ngff'; did you mean 'ngf'?"),
        (["build", "generator=unet", "generator.ngf=big"], "ngf='big': expected an integer"),
        (["build", "generator=unet", "image_size=100"], "image_size=100"),
        (["build", "generator=dcgan", "generator.out_channels=3", "channels=1", "image_size=32"], "makes images of shape (3, 32, 32)"),
        (["build", "imagesize=3"], "did you mean 'image_size'"),
        (["build", "generator"], "write key=value"),
        (["list", "generatr"], "unknown kind 'generatr'; did you mean 'generator'"),
        (["info", "patchgna"], "did you mean 'patchgan'"),
        (["recipes", "pix2px"], "did you mean 'pix2pix'"),
    ],
)
def test_bad_input_exits_2_with_a_one_line_message(argv: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    status, _, err = run(capsys, *argv, *(["--out", str(spec)] if argv[0] == "build" else []))
    assert status == 2
    assert message in err and "Traceback" not in err
    assert not spec.exists()  # nothing half-written


def test_list_info_plugins_and_recipes(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "list", "generator", "*net")
    assert status == 0 and [line.split()[1] for line in out.splitlines()[1:]] == ["resnet", "unet"]
    status, out, _ = run(capsys, "list", "*gan")
    assert status == 0 and {"cdcgan", "dcgan", "exgan", "patchgan"} <= {line.split()[1] for line in out.splitlines()[1:]}
    status, out, _ = run(capsys, "info", "unet")
    assert status == 0
    assert "generator 'unet'  (from ganzoo; ganzoo.zoo.generators.unet:UNetGenerator)" in out
    assert "Isola" in out and "ngf" in out and "Literal['batch', 'instance', 'none']" in out
    status, out, _ = run(capsys, "info", "mlp")  # both kinds have an mlp
    assert status == 0 and "generator 'mlp'" in out and "discriminator 'mlp'" in out
    status, out, _ = run(capsys, "info", "discriminator/mlp")
    assert "generator 'mlp'" not in out
    status, out, _ = run(capsys, "plugins")
    assert status in (0, 1) and "ganzoo.zoo" in out and "8 generator" in out
    status, out, _ = run(capsys, "recipes")
    assert status == 0 and [line.split()[0] for line in out.splitlines()[1:]] == [
        "cgan", "cyclegan", "dcgan", "exgan", "pix2pix", "r3gan", "sngan", "vanilla", "wgan-gp"
    ]
    status, out, _ = run(capsys, "recipes", "pix2pix")
    assert status == 0 and "name: unet" in out


def test_tables_are_cut_to_the_terminal_only_on_a_terminal(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from ganzoo import list_parts

    status, out, _ = run(capsys, "list")  # captured output is not a terminal, like `ganzoo list | grep`
    assert status == 0 and "…" not in out
    summaries = [p.summary for p in list_parts()]
    assert max(len(summary) for summary in summaries) > 100  # long enough to have been cut before
    assert all(summary in out for summary in summaries)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    status, out, _ = run(capsys, "list")
    assert status == 0 and "…" in out and max(len(line) for line in out.splitlines()) <= 80


def test_importing_ganzoo_loads_no_plugin_and_no_torch() -> None:
    import subprocess
    import sys

    code = "import sys, ganzoo, ganzoo.cli; print('torch' in sys.modules, 'timm' in sys.modules, 'ganzoo.zoo' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False", "False"]


def test_listing_parts_imports_no_torch() -> None:
    import os
    import subprocess
    import sys

    code = (
        "import sys\nfrom ganzoo.cli import main\nassert main(['list']) == 0\nassert main(['recipes']) == 0\n"
        "print(sorted(m for m in ('torch', 'timm', 'torchvision') if m in sys.modules))"
    )
    env = {**os.environ, "GANZOO_DISABLE_PLUGINS": "1"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"
