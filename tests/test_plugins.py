"""Plugin loading: direct registration, broken plugins, and real pip-installed distributions."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ganzoo import hookimpl
from ganzoo.errors import DuplicatePartError
from ganzoo.plugins import PluginHost

REPO = Path(__file__).resolve().parents[1]


class Good:
    """A tidy plugin."""

    @hookimpl
    def ganzoo_register_parts(self, register):
        register("generator", "tiny", _tiny, tags=["unconditional"])
        register("counter", "count", _tiny)  # a kind of its own: not checked against a contract


class Raising:
    """A plugin whose registration hook raises after registering one part."""

    @hookimpl
    def ganzoo_register_parts(self, register):
        register("generator", "half_done", _tiny)
        raise RuntimeError("boom")


class Clashing:
    """A plugin that reuses a name of :class:`Good`."""

    @hookimpl
    def ganzoo_register_parts(self, register):
        register("generator", "tiny", _tiny)


def _tiny(*, width: int = 2) -> int:
    """A tiny part."""
    return width


def test_parts_are_stamped_with_their_plugin() -> None:
    host = PluginHost(entry_points=False)
    host.add_plugin(Good(), "good", distribution="good-dist", version="1.2")
    assert host.registry.get("generator", "tiny").plugin == "good-dist"
    assert host.registry.get("counter", "count").build(width=3) == 3
    assert host.plugins[0].parts == [("generator", "tiny"), ("counter", "count")]


def test_a_raising_plugin_is_reported_once_and_loses_only_its_parts(caplog: pytest.LogCaptureFixture) -> None:
    host = PluginHost(entry_points=False)
    host.add_plugin(Good(), "good")
    host.add_plugin(Raising(), "raising", distribution="raising-dist", version="0.1")
    with caplog.at_level(logging.WARNING, logger="ganzoo.plugins"):
        registry = host.registry
        assert host.registry is registry  # filled once, reported once
    assert ("generator", "half_done") not in registry
    assert ("generator", "tiny") in registry
    failed = [info for info in host.plugins if info.error]
    assert [info.name for info in failed] == ["raising"]
    assert "RuntimeError: boom" in failed[0].error
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "raising-dist" in warnings[0] and "boom" in warnings[0]


def test_two_plugins_with_one_name_is_an_error_naming_both() -> None:
    host = PluginHost(entry_points=False)
    host.add_plugin(Good(), "good", distribution="good-dist")
    host.add_plugin(Clashing(), "clash", distribution="clash-dist")
    with pytest.raises(DuplicatePartError) as caught:
        _ = host.registry
    assert "good-dist" in str(caught.value) and "clash-dist" in str(caught.value)


def test_the_builtin_zoo_loads_through_its_entry_point() -> None:
    host = PluginHost(third_party=False)
    builtin = [info for info in host.plugins if info.distribution == "ganzoo"]
    assert [info.target for info in builtin] == ["ganzoo.zoo"]
    assert ("generator", "unet") in host.registry
    assert host.registry.get("generator", "unet").plugin == "ganzoo"


# --- real distributions, installed with pip into a folder on PYTHONPATH -------------------------

BROKEN_PYPROJECT = """
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "ganzoo-broken"
version = "9.9"

[project.entry-points.ganzoo]
broken = "ganzoo_broken"

[tool.setuptools]
py-modules = ["ganzoo_broken"]
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with ganzoo-example and a plugin that fails to import, both installed by pip."""
    target = tmp_path_factory.mktemp("site")
    broken = tmp_path_factory.mktemp("broken")
    (broken / "pyproject.toml").write_text(BROKEN_PYPROJECT)
    (broken / "ganzoo_broken.py").write_text("import a_module_that_does_not_exist\n")
    for source in (REPO / "plugins" / "ganzoo-example", broken):
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
             "--disable-pip-version-check", "--target", str(target), str(source)],
            check=True,
            capture_output=True,
        )
    return target


def with_site(site: Path) -> dict[str, str]:
    """The environment with ``site`` first on ``PYTHONPATH`` (a ganzoo checkout already there stays)."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}


def ganzoo(site: Path, *args: str, disable: bool = False) -> subprocess.CompletedProcess[str]:
    env = with_site(site)
    env.pop("GANZOO_DISABLE_PLUGINS", None)
    if disable:
        env["GANZOO_DISABLE_PLUGINS"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "ganzoo", *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )


def test_installed_plugin_parts_appear_and_build(site: Path) -> None:
    listing = ganzoo(site, "list")
    assert listing.returncode == 0, listing.stderr
    for kind, name in [("generator", "upsample"), ("discriminator", "minibatch_std"), ("loss", "smoothed_bce"), ("schedule", "d_warmup")]:
        line = next(line for line in listing.stdout.splitlines() if line.split()[:2] == [kind, name])
        assert "ganzoo-example" in line
    build = ganzoo(site, "build", "generator=upsample", "discriminator=minibatch_std", "image_size=16", "channels=1")
    assert build.returncode == 0, build.stderr
    assert "upsample" in build.stdout and "minibatch_std" in build.stdout and "the pair fits" in build.stdout
    info = ganzoo(site, "info", "smoothed_bce")
    assert info.returncode == 0 and "real_label" in info.stdout and "ganzoo-example" in info.stdout


def test_a_plugin_that_fails_to_import_is_reported_and_the_rest_works(site: Path) -> None:
    listing = ganzoo(site, "list", "generator")
    assert listing.returncode == 0
    assert "unet" in listing.stdout and "upsample" in listing.stdout
    assert listing.stderr.count("ganzoo-broken") == 1
    assert "ModuleNotFoundError" in listing.stderr
    plugins = ganzoo(site, "plugins")
    assert plugins.returncode == 1  # a failed plugin is a problem worth a non-zero status
    lines = plugins.stdout.splitlines()
    assert any("ganzoo-example" in line and "0.1.0" in line and "1 generator" in line for line in lines)
    assert any("ganzoo-broken" in line and "9.9" in line and "FAILED: ModuleNotFoundError" in line for line in lines)


def test_third_party_plugins_can_be_disabled(site: Path) -> None:
    listing = ganzoo(site, "list", "generator", disable=True)
    assert listing.returncode == 0 and "upsample" not in listing.stdout and "unet" in listing.stdout
    assert "ganzoo-broken" not in listing.stderr
    plugins = ganzoo(site, "plugins", disable=True)
    assert "disabled" in plugins.stdout and plugins.returncode == 0


def test_the_example_plugins_own_tests_pass_against_this_ganzoo(site: Path) -> None:
    env = with_site(site)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(REPO / "plugins" / "ganzoo-example" / "tests")],
        capture_output=True, text=True, env=env, timeout=300, cwd=REPO / "plugins" / "ganzoo-example", check=False
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "3 passed" in result.stdout
