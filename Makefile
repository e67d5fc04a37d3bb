# Set-up and the two main commands. Works on a fresh machine with Python >= 3.9.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# torch/torchvision versions known to import together (see docs/getting_started.rst);
# override, e.g. TORCH_SPEC="torch torchvision", for another platform.
TORCH_SPEC ?= torch==2.14.1 torchvision==0.29.1
# Where torch comes from: empty = the default index (on Linux x86_64, PyTorch's CUDA
# build: a 6.0 GB .venv here); https://download.pytorch.org/whl/cpu = PyTorch's
# CPU-only wheels, without the CUDA libraries (pair it with a TORCH_SPEC that index serves).
TORCH_INDEX ?=
MODAL_SPEC ?= modAL-python==0.4.2.1

# The oldest scikit-learn and numpy we support, checked in their own environment,
# installed with pip alone (the two lines of docs/getting_started.rst).
OLDEST_SPEC ?= scikit-learn==1.3.2 numpy==1.26.4
OLDEST_VENV ?= .venv-oldest
LOOP_TESTS := tests/test_compat.py \
	tests/test_segmentation.py::test_segmentation_active_learning_loop_through_modal \
	tests/test_query.py::test_end_to_end_modal_loop_with_skorch

# The quick subset: the estimators, the query, the training loop, the pools and
# modAL's compatibility, in one process (under 3 minutes on 2 cores).
QUICK_TESTS := tests/test_uncertainty.py tests/test_training.py tests/test_estimators.py \
	tests/test_query.py tests/test_compat.py tests/test_pool.py tests/test_kcenter.py

# Label Studio for the tests of the annotation loop, in its own virtualenv: it
# pins its own Django and numpy (about 1 GB, 90 s to install).
LS_VENV ?= .venv-labelstudio
LS_SPEC ?= label-studio==1.23.2

.PHONY: install demo test test-quick docs clean test-oldest labelstudio

install: $(VENV)/.installed

$(VENV)/.installed: setup.py setup.cfg Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) $(TORCH_SPEC)
	# modAL pins skorch==0.9.0 (broken): install it without its dependencies.
	$(PY) -m pip install -q --no-deps $(MODAL_SPEC)
	$(PY) -m pip install -q -e ".[test,docs,labelstudio]"
	$(PY) -c "import modal_sraal, modAL, skorch, torch; print('modal_sraal', modal_sraal.__version__, 'torch', torch.__version__, 'skorch', skorch.__version__)"
	touch $@

demo: install
	$(PY) -m modal_sraal.demo --dataset digits --out runs/demo

labelstudio: $(LS_VENV)/.installed

$(LS_VENV)/.installed: Makefile
	$(PYTHON) -m venv $(LS_VENV)
	$(LS_VENV)/bin/pip install -q $(LS_SPEC)
	$(LS_VENV)/bin/python -c "import importlib.metadata as m; print('label-studio', m.version('label-studio'))"
	touch $@

# One line per test file with the share done, the slowest tests at the end.
test: install labelstudio
	$(PY) -m pytest -o console_output_style=progress --durations=10

test-quick: install
	$(PY) -m pytest -q -p no:doctest -o addopts='-m "not slow"' $(QUICK_TESTS)

# modAL's loop (query, teach with labels and raw masks, Committee) on the oldest
# versions; pytest runs from the installed package, not the source tree.
test-oldest:
	rm -rf $(OLDEST_VENV)
	$(PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_VENV)/bin/pip install -q --no-deps $(MODAL_SPEC)
	$(OLDEST_VENV)/bin/pip install -q . pytest $(OLDEST_SPEC)
	$(OLDEST_VENV)/bin/python -c "import sklearn, numpy; print('oldest: scikit-learn', sklearn.__version__, 'numpy', numpy.__version__)"
	$(OLDEST_VENV)/bin/modal-sraal --help
	$(OLDEST_VENV)/bin/pytest -q -p no:cacheprovider $(LOOP_TESTS)

docs: install
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) $(OLDEST_VENV) $(LS_VENV) docs/_build runs
