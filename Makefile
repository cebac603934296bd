# Two commands: `make demo` and `make test`. Both create .venv when it is missing.
# `make serve` opens the web studio (http://127.0.0.1:8000); `make demo` installs its extra too.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test gui serve bench clean-venv stubs

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) setup.cfg pyproject.toml constraints.txt
	$(PY) -m pip install --quiet -c constraints.txt -e .
	touch $@

$(TEST_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $@

GUI_STAMP := $(VENV)/.installed-gui
WEB_STAMP := $(VENV)/.installed-web

# the web studio's extra (fastapi, uvicorn, python-multipart): `make demo` installs it, so `prisma-abu serve` runs
$(WEB_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -c constraints.txt -e ".[web]"
	touch $@

$(GUI_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -c constraints.txt -e ".[gui]"
	touch $@

# the window: installs its extra (traitsui, pyface, PySide6) from this checkout, then opens it
gui: $(GUI_STAMP)
	$(VENV)/bin/prisma-abu gui

demo: $(WEB_STAMP)
	$(PY) -m prisma_abu.demo out/demo
	@echo "the web studio: make serve (or: $(VENV)/bin/prisma-abu serve), then open http://127.0.0.1:8000/"

serve: $(WEB_STAMP)
	$(VENV)/bin/prisma-abu serve

test: $(TEST_STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

bench: $(STAMP)
	$(PY) bench/dream.py
	$(PY) bench/mix.py

# the Python verbs' typed keyword arguments (prisma_abu/__init__.pyi) from the knobs: after adding a knob
stubs: $(STAMP)
	$(PY) tools/gen_stubs.py

clean-venv:
	rm -rf $(VENV)
