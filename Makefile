# Two commands: `make demo` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test gui bench clean-venv

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) setup.cfg pyproject.toml
	$(PY) -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

GUI_STAMP := $(VENV)/.installed-gui

$(GUI_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e ".[gui]"
	touch $@

# the window: installs its extra (traitsui, pyface, PySide6) from this checkout, then opens it
gui: $(GUI_STAMP)
	$(VENV)/bin/prisma-abu gui

demo: $(STAMP)
	$(PY) -m prisma_abu.demo out/demo

test: $(TEST_STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

bench: $(STAMP)
	$(PY) bench/dream.py
	$(PY) bench/mix.py

clean-venv:
	rm -rf $(VENV)
