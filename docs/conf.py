"""Sphinx configuration: offline (no intersphinx), warning-free with -W."""
import os
import sys

sys.path.insert(0, os.path.abspath(".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))   # _gallery_argv

project = "modal_sraal"
author = "modal_sraal developers"
copyright = "2026, modal_sraal developers"
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx_gallery.gen_gallery",
]


# The examples are run when the docs are built, their printed output (and any
# figure) shown under the code, as scikit-learn's and scikit-activeml's are.
# The scale and benchmark scripts take minutes to hours: shown, not run.
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/(quickstart|pipeline|custom_config|segmentation|resumable_loop)\.py$",
    "reset_argv": "_gallery_argv.example_argv",
    "download_all_examples": False,
    "remove_config_comments": True,
    "min_reported_time": 3600,
}
autosummary_generate = False
autodoc_member_order = "bysource"
autodoc_typehints = "none"
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
# Members are listed explicitly in api.rst: skorch's and scikit-learn's inherited
# docstrings are not numpydoc-clean and would break the -W build.
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
html_theme = "alabaster"
html_static_path = ["_static"]
nitpicky = False
