"""Sphinx configuration: offline (no intersphinx), warning-free with -W."""
import os
import sys

sys.path.insert(0, os.path.abspath(".."))

project = "modal_sraal"
author = "modal_sraal developers"
copyright = "2026, modal_sraal developers"
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]
autosummary_generate = False
autodoc_member_order = "bysource"
autodoc_typehints = "none"
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
# Members are listed explicitly in api.rst: skorch's and scikit-learn's inherited
# docstrings are not numpydoc-clean and would break the -W build.
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path = ["_static"]
nitpicky = False
