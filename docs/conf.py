"""Sphinx configuration of the ganzoo documentation.

The build is offline: intersphinx inventories are used only when a copy lies in ``docs/_inventories``
(see the design page), and the generated pages (CLI reference, component catalogue, recipe pages) are
made from the installed package while Sphinx runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

import ganzoo  # noqa: E402  (the package documented, installed in the build environment)

project = "ganzoo"
author = "The ganzoo developers"
copyright = "The ganzoo developers, BSD-3-Clause"  # noqa: A001
release = ganzoo.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.intersphinx",
    "sphinx.ext.doctest",
    "sphinx.ext.viewcode",
    "ganzoo_docs",
]

exclude_patterns = ["_build", "_inventories", "_static", "_recipe_notes", "_tracking", "Thumbs.db", ".DS_Store"]
nitpicky = False

# One page per shipped recipe, generated into recipes/ when the build starts (see _ext/ganzoo_docs.py).
ganzoo_recipe_pages = True

# --- autodoc and napoleon (Google-style docstrings) ------------------------------------------------

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_class_signature = "mixed"
autodoc_inherit_docstrings = False
autodoc_default_options = {"show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
napoleon_attr_annotations = True

# --- intersphinx, offline ----------------------------------------------------------------------------
# Links to the Python, torch, torchvision, timm and pluggy documentation need their ``objects.inv``.
# The build never downloads: a project is linked only when its inventory was saved as
# docs/_inventories/<name>.inv beforehand; otherwise intersphinx_mapping stays empty.

_INVENTORY_TARGETS = {
    "python": "https://docs.python.org/3",
    "torch": "https://pytorch.org/docs/stable",
    "torchvision": "https://pytorch.org/vision/stable",
    "timm": "https://huggingface.co/docs/timm/main/en",
    "pluggy": "https://pluggy.readthedocs.io/en/stable",
}
intersphinx_mapping = {
    name: (url, str(DOCS / "_inventories" / f"{name}.inv"))
    for name, url in _INVENTORY_TARGETS.items()
    if (DOCS / "_inventories" / f"{name}.inv").is_file()
}

# --- doctest -------------------------------------------------------------------------------------------

# Examples in docstrings are written for their module's namespace (as pytest --doctest-modules runs
# them); the names they use are imported here.
doctest_global_setup = f"""
from pathlib import Path

import ganzoo
from ganzoo.errors import did_you_mean

REPOSITORY = Path({str(DOCS.parent)!r})
"""

# --- HTML ------------------------------------------------------------------------------------------

html_theme = "alabaster"
html_title = f"ganzoo {release}"
html_static_path = ["_static/css"]
html_css_files = ["ganzoo.css"]
html_theme_options = {
    "description": "A pluggable zoo of GAN parts with a registry",
    "fixed_sidebar": False,
    "page_width": "1080px",
    "sidebar_width": "230px",
    "show_relbars": True,
}
html_sidebars = {"**": ["about.html", "navigation.html", "relations.html", "searchbox.html"]}
html_show_sourcelink = False
pygments_style = "sphinx"
