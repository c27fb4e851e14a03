"""The documentation: it builds without a warning, its examples run, and it keeps up with the code."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx", minversion="7.4", reason="the docs extra is not installed: pip install -e '.[docs]'")

from ganzoo import hookimpl, hookspecs
from ganzoo.plugins import PluginHost, get_registry, set_host
from ganzoo.training import recipe_names

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

import ganzoo_docs


@pytest.fixture(scope="module")
def doctrees(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One doctree cache for both builders, so that the second one reads only the generated pages."""
    return tmp_path_factory.mktemp("doctrees")


def sphinx_build(builder: str, out: Path, doctrees: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", builder, "-d", str(doctrees),
         str(DOCS), str(out)],
        capture_output=True,
        text=True,
        timeout=600, check=False
    )


def text_of(page: Path) -> str:
    """A page's text, without its markup (highlighted code is split into many spans)."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))


def test_the_html_site_builds_without_warnings(tmp_path: Path, doctrees: Path) -> None:
    out = tmp_path / "html"
    build = sphinx_build("html", out, doctrees)
    assert build.returncode == 0, build.stdout + build.stderr
    # The generated pages follow the code: every part, every recipe, every command.
    catalogue = (out / "catalogue.html").read_text(encoding="utf-8")
    for part in get_registry().list():
        assert f'id="{ganzoo_docs.part_label(part.kind, part.name)}"' in catalogue, part.label
    for name in recipe_names():
        assert f"ganzoo train recipe={name}" in text_of(out / "recipes" / f"{name}.html")
    cli = text_of(out / "cli.html")
    from ganzoo.cli import build_parser

    for name, _, _ in ganzoo_docs.subcommands(build_parser()):
        assert f"usage: ganzoo {name}" in cli, name


def test_the_examples_in_the_documentation_run(tmp_path: Path, doctrees: Path) -> None:
    build = sphinx_build("doctest", tmp_path / "doctest", doctrees)
    report = (tmp_path / "doctest" / "output.txt").read_text(encoding="utf-8") if build.returncode else ""
    assert build.returncode == 0, build.stdout + build.stderr + report


def documented_hooks() -> list[str]:
    text = (DOCS / "api" / "hookspecs.rst").read_text(encoding="utf-8")
    return re.findall(r"^\.\. autofunction:: ganzoo\.hookspecs\.(\w+)\s*$", text, flags=re.MULTILINE)


def test_every_hook_is_documented_on_the_hooks_page() -> None:
    specs = {name for name, value in vars(hookspecs).items() if callable(value) and hasattr(value, "ganzoo_spec")}
    assert specs, "no hook specifications found"
    documented = documented_hooks()
    assert sorted(specs - set(documented)) == [], "hooks missing from docs/api/hookspecs.rst"
    assert sorted(set(documented) - specs) == [], "docs/api/hookspecs.rst documents hooks that do not exist"
    assert len(documented) == len(set(documented)), "a hook is documented twice"


# --- the extension ---------------------------------------------------------------------------------


def test_docstring_text_is_escaped_so_that_it_cannot_break_the_build() -> None:
    from docutils.core import publish_doctree

    nasty = (
        "Takes *args and **kwargs, `x`, ``y``s, :class:`~a.b.C`, :math:`\\sigma`, |sub|, foo_, "
        "[1]_, .. note:: no, <http://x>`_, a trailing backslash \\ and `unbalanced ``literal"
    )
    text = ganzoo_docs.safe_rst(nasty)
    warnings = io.StringIO()
    publish_doctree(text, settings_overrides={"warning_stream": warnings, "report_level": 1})
    assert warnings.getvalue() == ""
    assert "``C``" in text and "``y``" in text


def test_google_style_arguments_are_read_per_parameter() -> None:
    doc = """Summary line.

    More prose.

    .. math:: x

    Args:
        width: The width,
            on two lines.
        mode (str): Which mode.

    Returns:
        Nothing.
    """
    import inspect

    doc = inspect.cleandoc(doc)
    assert ganzoo_docs.docstring_arguments(doc) == {"width": "The width, on two lines.", "mode": "Which mode."}
    assert ganzoo_docs.docstring_paragraphs(doc) == ["Summary line.", "More prose."]


def _odd_part(*, depth: int = 3, style: str = "a|b") -> int:
    """An odd part: *stars*, `ticks`, |pipes| and trailing_ underscores_.

    .. math:: \\int x

    Args:
        depth: How *deep*, ``in`` `layers`.
        style: Any `odd` |value|.
    """
    return depth


class _ThirdParty:
    @hookimpl
    def ganzoo_register_parts(self, register):
        register("generator", "odd", _odd_part, tags=["weird|tag"])
        register("metric", "count", _odd_part)
        register("loss", "missing", "ganzoo_no_such_module:Loss")  # named lazily, and broken


def test_the_catalogue_lists_any_installed_plugin_without_a_warning(tmp_path: Path) -> None:
    """A third-party plugin's parts appear with no edit to the documentation, odd docstrings and all."""
    from sphinx.application import Sphinx

    import ganzoo.zoo

    source = tmp_path / "source"
    source.mkdir()
    (source / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(DOCS / '_ext')!r})\nextensions = ['ganzoo_docs']\n"
    )
    (source / "index.rst").write_text("Catalogue\n=========\n\n.. ganzoo-catalogue::\n")
    host = PluginHost(entry_points=False)
    host.add_plugin(ganzoo.zoo, "zoo", distribution="ganzoo", version="1.0")
    host.add_plugin(_ThirdParty(), "third", distribution="ganzoo-third-party", version="2.0")
    previous = set_host(host)
    warnings = io.StringIO()
    try:
        app = Sphinx(str(source), str(source), str(tmp_path / "html"), str(tmp_path / "doctrees"), "html",
                     status=None, warning=warnings, freshenv=True)
        app.build()
    finally:
        set_host(previous)
    assert warnings.getvalue() == ""
    page = (tmp_path / "html" / "index.html").read_text(encoding="utf-8")
    assert 'id="catalogue-generator-odd"' in page and 'id="catalogue-metric-count"' in page
    assert "ganzoo-third-party" in page and "2.0" in page
    assert "depth" in page and "How" in page
    assert 'id="catalogue-generator-unet"' in page  # the built-in parts are still there
    assert 'id="catalogue-loss-missing"' in page and "cannot be loaded" in page


def test_every_recipe_sample_has_its_record() -> None:
    import json

    folder = DOCS / ganzoo_docs.SAMPLES_FOLDER
    record_path = folder / ganzoo_docs.SAMPLES_RECORD
    records = json.loads(record_path.read_text(encoding="utf-8")) if record_path.exists() else {}
    images = {path.stem for path in folder.glob("*.png") if not path.stem.endswith("-losses")}
    assert images == set(records), "every sample image needs its entry in samples.json, and the reverse"
    for name, record in records.items():
        assert name in recipe_names()
        assert f"{record['command']} ".startswith(f"ganzoo train recipe={name} ")
        assert not (folder / f"{name}-losses.png").exists() or record.get("figures"), "loss curves come with their figures"
        assert record["steps"] > 0 and record["images"] == record["steps"] * record["batch_size"]
