"""Plugin loading: direct registration, broken plugins, and real pip-installed distributions."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ganzoo import hookimpl
from ganzoo.plugins import PluginHost, set_host

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
    """A plugin that reuses a name of :class:`Good`, besides a name of its own."""

    @hookimpl
    def ganzoo_register_parts(self, register):
        register("generator", "tiny", _tiny)
        register("generator", "clash_only", _tiny)


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


def test_a_name_two_plugins_register_is_kept_by_the_first_and_costs_the_second_only_that_name(
    caplog: pytest.LogCaptureFixture,
) -> None:
    host = PluginHost(entry_points=False)
    host.add_plugin(Good(), "good", distribution="good-dist")
    host.add_plugin(Clashing(), "clash", distribution="clash-dist")
    with caplog.at_level(logging.WARNING, logger="ganzoo.plugins"):
        registry = host.registry
    assert registry.get("generator", "tiny").plugin == "good-dist"
    assert ("generator", "clash_only") in registry  # the later plugin keeps its other parts
    good, clash = host.plugins
    assert good.clashes == [] and clash.clashes == [("generator", "tiny")] and clash.parts == [("generator", "clash_only")]
    (warning,) = [r.getMessage() for r in caplog.records]
    assert "good-dist" in warning and "clash-dist" in warning and "--disable-plugin good" in warning


def test_the_built_in_zoo_keeps_its_names_whatever_the_order_plugins_come_in() -> None:
    import ganzoo.zoo

    class Squatter:
        @hookimpl
        def ganzoo_register_parts(self, register):
            register("generator", "unet", _tiny)

    host = PluginHost(entry_points=False)
    host.add_plugin(Squatter(), "squatter", distribution="squatter-dist")
    host.add_plugin(ganzoo.zoo, "zoo", distribution="ganzoo")
    assert host.registry.get("generator", "unet").plugin == "ganzoo"
    assert host.plugins[0].clashes == [("generator", "unet")]


def test_a_disabled_plugin_is_listed_but_registers_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GANZOO_DISABLE_PLUGINS", "clash-dist")  # a distribution name works as well
    host = PluginHost(entry_points=False, disabled=["good"])
    host.add_plugin(Good(), "good", distribution="good-dist")
    host.add_plugin(Clashing(), "clash", distribution="clash-dist")
    host.add_plugin(Raising(), "raising")
    assert [info.disabled for info in host.plugins] == [True, True, False]
    assert ("generator", "tiny") not in host.registry and ("generator", "clash_only") not in host.registry
    assert host.unmatched(["good", "Clash_Dist", "goood"]) == ["goood"]
    assert "did you mean 'good'" in host.unmatched_message(["goood"], "--disable-plugin")


def test_disable_variable_values(monkeypatch: pytest.MonkeyPatch) -> None:
    from ganzoo.plugins import disabled_by_environment

    for value, expected in [("", (False, [])), ("0", (False, [])), ("1", (True, [])), ("true", (True, [])),
                            ("csvlog, other", (False, ["csvlog", "other"]))]:
        monkeypatch.setenv("GANZOO_DISABLE_PLUGINS", value)
        assert disabled_by_environment() == expected, value


def _recipe_from_a_function() -> dict:
    """Vanilla on batches of eight: a recipe a function builds."""
    return {"recipe": "built", "summary": "Vanilla on batches of eight.", "generator": {"name": "mlp"},
            "discriminator": {"name": "mlp"}, "train": {"batch_size": 8}}


class Recipes:
    """A plugin shipping recipes: a YAML file of a package, a function, and one that is not a mapping."""

    @hookimpl
    def ganzoo_register_parts(self, register):
        register("recipe", "packaged", "ganzoo:recipes/vanilla.yaml", tags=["unconditional"])
        register("recipe", "built", _recipe_from_a_function)
        register("recipe", "listed", _tiny)


def test_a_plugin_registers_recipes_as_package_files_or_functions(capsys: pytest.CaptureFixture[str]) -> None:
    from ganzoo.cli import main
    from ganzoo.errors import PartContractError, UnknownPartError
    from ganzoo.training.recipes import load_recipe, recipe_names

    host = PluginHost(third_party=False)
    host.add_plugin(Recipes(), "recipes", distribution="ganzoo-recipes")
    registry = host.registry
    assert {"packaged", "built", "listed", "dcgan"} <= set(recipe_names(registry))
    packaged = registry.get("recipe", "packaged")
    assert packaged.plugin == "ganzoo-recipes" and packaged.parameters == ()
    assert packaged.summary == registry.get("recipe", "vanilla").summary
    assert load_recipe("packaged", registry) == load_recipe("vanilla", registry)
    recipe = load_recipe("built", registry)
    assert recipe["train"] == {"batch_size": 8}
    recipe["train"]["batch_size"] = 99  # a copy: the next load is unchanged
    assert load_recipe("built", registry)["train"] == {"batch_size": 8}
    assert registry.get("recipe", "built").build()["recipe"] == "built"  # checked against Mapping
    with pytest.raises(PartContractError, match="must be a mapping"):
        load_recipe("listed", registry)
    previous = set_host(host)
    try:
        assert main(["recipes"]) == 1  # one recipe cannot be read: listed as such, the others as usual
        rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
        assert "ganzoo-recipes" in rows["built"] and "mlp" in rows["built"] and "cannot be read" in rows["listed"]
        assert "ganzoo" in rows["dcgan"]
        with pytest.raises(UnknownPartError, match="did you mean 'built'"):
            load_recipe("bulit")  # the process-wide registry: this host's
    finally:
        set_host(previous)


class Commanding:
    """A plugin adding two commands, one of them with a name ganzoo already uses."""

    @hookimpl
    def ganzoo_register_commands(self, commands):
        hello = commands.add_parser("hello", help="say hello")
        hello.add_argument("--name", default="world")
        hello.set_defaults(handler=lambda args: print(f"hello {args.name}") or 0)
        taken = commands.add_parser("list", help="shadows ganzoo list")
        taken.set_defaults(handler=lambda args: 0)


class HalfCommanding:
    """A plugin whose command hook raises after adding a command."""

    @hookimpl
    def ganzoo_register_commands(self, commands):
        commands.add_parser("half", help="never finished")
        raise RuntimeError("command hook broke")


def test_plugin_commands_are_stamped_and_isolated(capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    from ganzoo.cli import build_parser, main

    host = PluginHost(third_party=False)
    host.add_plugin(Commanding(), "commanding", distribution="ganzoo-commanding", version="1.0")
    host.add_plugin(HalfCommanding(), "half", distribution="ganzoo-half")
    previous = set_host(host)
    try:
        with caplog.at_level(logging.WARNING, logger="ganzoo.plugins"):
            help_text = build_parser().format_help()
        assert "say hello (from ganzoo-commanding)" in help_text
        assert "half" not in help_text.split("options:")[0].replace("ganzoo-half", "")
        messages = " ".join(r.getMessage() for r in caplog.records)
        assert "adds the command 'list', which ganzoo already has" in messages
        assert "command hook broke" in messages
        assert main(["hello", "--name", "plugins"]) == 0
        assert capsys.readouterr().out == "hello plugins\n"
        assert main(["list", "generator", "unet"]) == 0 and "unet" in capsys.readouterr().out  # ganzoo's own list
        assert main(["plugins"]) == 1
        out = capsys.readouterr().out
        assert "1 command" in next(line for line in out.splitlines() if line.startswith("commanding"))
        assert "FAILED: RuntimeError: command hook broke" in out
    finally:
        set_host(previous)


def test_the_builtin_zoo_loads_through_its_entry_point() -> None:
    host = PluginHost(third_party=False)
    builtin = [info for info in host.plugins if info.distribution == "ganzoo"]
    assert [info.target for info in builtin] == ["ganzoo.zoo"]
    assert ("generator", "unet") in host.registry
    assert host.registry.get("generator", "unet").plugin == "ganzoo"


# --- real distributions, installed with pip into a folder on PYTHONPATH -------------------------

PYPROJECT = """
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "{dist}"
version = "{version}"

[project.entry-points.ganzoo]
{name} = "{module}"

[tool.setuptools]
py-modules = ["{module}"]
"""

RAISING = """
from pathlib import Path
from ganzoo import hookimpl

@hookimpl
def ganzoo_register_parts(register):
    register("generator", "raising_part", "ganzoo_raising:nothing")
    raise RuntimeError("registration broke")

@hookimpl
def ganzoo_register_commands(commands):
    commands.add_parser("raising-cmd", help="never usable").set_defaults(handler=lambda args: 0)

@hookimpl
def ganzoo_run_start(run):
    (Path(run.directory) / "raising-was-called").write_text("run_start")

@hookimpl
def ganzoo_step_end(run, step, losses):
    (Path(run.directory) / "raising-was-called").write_text("step_end")
"""

TWIN = """
from ganzoo import hookimpl

def twin(*, width: int = 1):
    'A part that exists to clash.'
    return width

@hookimpl
def ganzoo_register_parts(register):
    register("generator", "upsample", "ganzoo_twin:twin")
    register("generator", "unet", "ganzoo_twin:twin")
    register("generator", "twin_only", "ganzoo_twin:twin")

@hookimpl
def ganzoo_register_commands(commands):
    commands.add_parser("list", help="shadows ganzoo list").set_defaults(handler=lambda args: 0)
    commands.add_parser("twin-hello", help="say hello").set_defaults(handler=lambda args: print("hello from twin") or 0)
    commands.add_parser("twin-crash", help="a command with a bug").set_defaults(handler=lambda args: 1 / 0)
"""

HALFCMD = """
from ganzoo import hookimpl

@hookimpl
def ganzoo_register_parts(register):
    register("generator", "halfcmd_part", "ganzoo_halfcmd:nothing")

@hookimpl
def ganzoo_register_commands(commands):
    commands.add_parser("half-done", help="added before the hook broke")
    raise RuntimeError("command hook broke")
"""

#: Throwaway plugins, one module each: distribution → (version, entry-point name, module source).
THROWAWAY = {
    "ganzoo-broken": ("9.9", "broken", "import a_module_that_does_not_exist\n"),  # fails to import
    "ganzoo-raising": ("0.2", "raising", RAISING),  # raises while registering: never called later
    "ganzoo-twin": ("1.0", "twin", TWIN),  # names the example and the zoo have, and commands
    "ganzoo-halfcmd": ("0.1", "halfcmd", HALFCMD),  # its command hook raises half-way
}

EXAMPLE = REPO / "plugins" / "ganzoo-example"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding ganzoo-example and the throwaway plugins, all installed by pip.

    Each is built from a copy in a temporary folder, so that pip's build/ and *.egg-info never land
    in the plugin's own folder.
    """
    target = tmp_path_factory.mktemp("site")
    sources = tmp_path_factory.mktemp("sources")
    example = sources / "ganzoo-example"
    shutil.copytree(EXAMPLE, example, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", ".pytest_cache"))
    folders = [example]
    for dist, (version, name, source) in THROWAWAY.items():
        module = dist.replace("-", "_")
        folder = sources / dist
        folder.mkdir()
        (folder / "pyproject.toml").write_text(PYPROJECT.format(dist=dist, version=version, name=name, module=module))
        (folder / f"{module}.py").write_text(source)
        folders.append(folder)
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "--target", str(target), *map(str, folders)],
        check=True, capture_output=True, cwd=sources,
    )
    return target


def with_site(site: Path) -> dict[str, str]:
    """The environment with ``site`` first on ``PYTHONPATH`` (a ganzoo checkout already there stays)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}
    env.pop("GANZOO_DISABLE_PLUGINS", None)
    return env


def ganzoo(site: Path, *args: str, disable: str | None = None) -> subprocess.CompletedProcess[str]:
    env = with_site(site)
    if disable is not None:
        env["GANZOO_DISABLE_PLUGINS"] = disable
    return subprocess.run(
        [sys.executable, "-m", "ganzoo", *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )


def row(output: str, *first: str) -> str:
    """The line of a table whose first cells are ``first``."""
    return next(line for line in output.splitlines() if line.split()[: len(first)] == list(first))


def test_installing_leaves_the_plugins_folder_clean(site: Path) -> None:
    assert not list(EXAMPLE.glob("build")) and not list(EXAMPLE.glob("*.egg-info"))


def test_installed_plugin_parts_appear_and_build(site: Path) -> None:
    listing = ganzoo(site, "list")
    assert listing.returncode == 0, listing.stderr
    for kind, name in [("generator", "upsample"), ("discriminator", "minibatch_std"), ("loss", "smoothed_bce"),
                       ("schedule", "d_warmup"), ("schedule", "cosine_lr"), ("recipe", "upsample-digits")]:
        assert "ganzoo-example" in row(listing.stdout, kind, name)
    build = ganzoo(site, "build", "generator=upsample", "discriminator=minibatch_std", "image_size=16", "channels=1")
    assert build.returncode == 0, build.stderr
    assert "upsample" in build.stdout and "minibatch_std" in build.stdout and "the pair fits" in build.stdout
    info = ganzoo(site, "info", "smoothed_bce")
    assert info.returncode == 0 and "real_label" in info.stdout and "ganzoo-example" in info.stdout
    bad = ganzoo(site, "build", "generator=upsample", "generator.image_size=12")
    assert bad.returncode == 2 and "generator 'upsample': image_size=12 is not a power of two" in bad.stderr
    assert "upsample: image_size" not in bad.stderr  # the plugin's own prefix is not repeated


def test_listing_with_plugins_installed_imports_no_torch(site: Path) -> None:
    code = (
        "import sys\nfrom ganzoo.cli import main\nassert main(['list']) == 0\nassert main(['recipes']) == 0\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('torch', 'timm', 'torchvision') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=with_site(site), check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_a_plugin_that_fails_to_import_is_reported_and_the_rest_works(site: Path) -> None:
    listing = ganzoo(site, "list", "generator")
    assert listing.returncode == 0
    assert "unet" in listing.stdout and "upsample" in listing.stdout
    assert listing.stderr.count("ganzoo-broken") == 1
    assert "ModuleNotFoundError" in listing.stderr
    plugins = ganzoo(site, "plugins")
    assert plugins.returncode == 1  # a failed plugin is a problem worth a non-zero status
    assert "0.1.0" in row(plugins.stdout, "example") and "1 recipe" in row(plugins.stdout, "example")
    assert "1 command" in row(plugins.stdout, "example")
    assert "9.9" in row(plugins.stdout, "broken") and "FAILED: ModuleNotFoundError" in row(plugins.stdout, "broken")
    assert "FAILED: RuntimeError: registration broke" in row(plugins.stdout, "raising")


def test_a_name_clash_costs_only_the_later_plugins_names(site: Path) -> None:
    listing = ganzoo(site, "list", "generator")
    assert listing.returncode == 0
    assert "ganzoo-example" in row(listing.stdout, "generator", "upsample")  # registered before ganzoo-twin
    assert "ganzoo-twin" not in row(listing.stdout, "generator", "unet")  # the built-in zoo keeps its names
    assert "ganzoo-twin" in row(listing.stdout, "generator", "twin_only")
    warnings = [line for line in listing.stderr.splitlines() if "is registered by both" in line]
    assert len(warnings) == 2
    (upsample,) = [line for line in warnings if "'upsample'" in line]
    assert "GANZOO_DISABLE_PLUGINS=example" in upsample and "--disable-plugin example" in upsample
    plugins = ganzoo(site, "plugins", "-v")
    assert plugins.returncode == 1  # and `ganzoo plugins` itself works
    assert "CLASH: generator 'upsample', generator 'unet'" in row(plugins.stdout, "twin")
    # Disabling the first plugin for one command gives the name to the other.
    swapped = ganzoo(site, "--disable-plugin", "example", "list", "generator", "upsample")
    assert swapped.returncode == 0 and "ganzoo-twin" in row(swapped.stdout, "generator", "upsample")


def test_plugins_can_be_disabled_by_name_or_all_at_once(site: Path) -> None:
    listing = ganzoo(site, "list", "generator", disable="1")
    assert listing.returncode == 0 and "upsample" not in listing.stdout and "unet" in listing.stdout
    assert "ganzoo-broken" not in listing.stderr  # a disabled plugin is not even imported
    plugins = ganzoo(site, "plugins", disable="1")
    assert plugins.returncode == 0 and row(plugins.stdout, "example").endswith("disabled")
    by_name = ganzoo(site, "plugins", disable="twin,ganzoo-broken,raising,halfcmd")
    assert by_name.returncode == 0, by_name.stdout
    assert row(by_name.stdout, "twin").endswith("disabled") and "1 recipe" in row(by_name.stdout, "example")
    assert "is registered by both" not in by_name.stderr
    per_command = ganzoo(site, "--disable-plugin", "twin", "--disable-plugin=example,broken", "list", "generator")
    assert per_command.returncode == 0 and "upsample" not in per_command.stdout and "twin_only" not in per_command.stdout
    assert "example-log" not in ganzoo(site, "--disable-plugin", "example", "--help").stdout  # its command goes too
    typo = ganzoo(site, "--disable-plugin", "exampel", "list")
    assert typo.returncode == 2 and "did you mean 'example'" in typo.stderr and "Traceback" not in typo.stderr


def test_plugin_commands_appear_with_their_plugin_and_a_bad_one_stays_its_own(site: Path) -> None:
    help_text = ganzoo(site, "--help")
    assert help_text.returncode == 0
    assert "print the losses the example plugin logged for a run (from ganzoo-example)" in " ".join(help_text.stdout.split())
    assert "say hello (from ganzoo-twin)" in help_text.stdout
    assert "half-done" not in help_text.stdout  # taken back: its plugin's hook raised
    assert "adds the command 'list', which ganzoo already has" in help_text.stderr
    assert "command hook broke" in help_text.stderr
    hello = ganzoo(site, "twin-hello")
    assert hello.returncode == 0 and hello.stdout == "hello from twin\n"
    crash = ganzoo(site, "twin-crash")
    assert crash.returncode == 1 and "Traceback" not in crash.stderr
    assert "the command from plugin 'twin' (ganzoo-twin 1.0) raised ZeroDivisionError" in crash.stderr
    failed = ganzoo(site, "raising-cmd")
    assert failed.returncode == 2 and "which failed: RuntimeError: registration broke" in failed.stderr
    assert ganzoo(site, "list", "recipe").returncode == 0  # ganzoo's own list, not the twin's


def test_an_installed_plugins_recipe_command_and_hooks_in_a_run(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    trained = ganzoo(site, "-q", "train", "recipe=upsample-digits", "train.steps=3", "train.batch_size=4",
                     "train.log_every=1", "train.sample_every=0", "train.progress=false", f"out={out}")
    assert trained.returncode == 0, trained.stderr
    assert not (out / "raising-was-called").exists()  # failed to register: its hooks are never called
    logged = ganzoo(site, "example-log", str(out), "--last", "2")
    assert logged.returncode == 0, logged.stderr
    assert [line.split(":")[0] for line in logged.stdout.splitlines()] == ["step 2", "step 3"]
    assert "D/adversarial=" in logged.stdout  # (the recipe trains D alone for its first 50 steps)
    missing = ganzoo(site, "example-log", str(tmp_path))
    assert missing.returncode == 2 and "holds no example_plugin.log" in missing.stderr
    recipes = ganzoo(site, "recipes")
    assert recipes.returncode == 0 and "ganzoo-example" in row(recipes.stdout, "upsample-digits")


def test_the_example_plugins_own_tests_pass_against_this_ganzoo(site: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE / "tests")],
        capture_output=True, text=True, env=with_site(site), timeout=300, cwd=EXAMPLE, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "6 passed" in result.stdout
