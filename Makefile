# Set-up and the two main commands. Works on a fresh machine with Python >= 3.9.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# torch/torchvision versions known to import together (see docs/install.rst);
# override, e.g. TORCH_SPEC="torch torchvision", for another platform.
TORCH_SPEC ?= torch==2.14.1 torchvision==0.29.1
MODAL_SPEC ?= modAL-python==0.4.2.1

.PHONY: install demo test docs clean

install: $(VENV)/.installed

$(VENV)/.installed: setup.py setup.cfg Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q $(TORCH_SPEC)
	# modAL pins skorch==0.9.0 (broken): install it without its dependencies.
	$(PY) -m pip install -q --no-deps $(MODAL_SPEC)
	$(PY) -m pip install -q -e ".[test,docs]"
	$(PY) -c "import modal_sraal, modAL, skorch, torch; print('modal_sraal', modal_sraal.__version__, 'torch', torch.__version__, 'skorch', skorch.__version__)"
	touch $@

demo: install
	$(PY) -m modal_sraal.demo --dataset digits --out runs/demo

test: install
	$(PY) -m pytest -q

docs: install
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) docs/_build runs
