# The two commands: `make demo` and `make test`. Both work on a fresh machine with Python 3 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
FLASK  := $(BIN)/flask --app marketplace
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: demo test install serve lint uswds bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall whenever pyproject.toml changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(FLASK) db upgrade
	$(FLASK) demo load >/dev/null  # it lists the accounts too; they are printed once, below
	$(FLASK) catalog reindex
	@echo
	@$(FLASK) demo accounts
	@echo
	@echo "Open http://$(HOST):$(PORT) and sign in as buyer@mesa.example / demo-password  (Ctrl+C stops the server)"
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# Refresh the vendored U.S. Web Design System (needs npm; the app itself never does).
uswds:
	scripts/vendor-uswds.sh

bench: install
	$(BIN)/python bench/search.py

clean:
	rm -rf $(VENV) instance/marketplace.db instance/search-index .pytest_cache
