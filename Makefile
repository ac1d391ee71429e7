# The two commands: `make demo` and `make test`. Both work on a fresh machine with Python 3 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
FLASK  := $(BIN)/flask --app marketplace
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: demo test install serve lint uswds bench clean screenshots

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

# The app under gunicorn, as in production (settings: gunicorn.conf.py; WEB_CONCURRENCY workers, default
# 2 x cores + 1). Loads the demo data like `make demo`; `make serve DEMO=0` on a database of real people.
DEMO ?= 1
serve: install
	$(FLASK) db upgrade
	@if [ "$(DEMO)" = 1 ]; then set -e; $(FLASK) demo load >/dev/null; echo; $(FLASK) demo accounts; echo; fi
	$(FLASK) catalog reindex
	@echo "Serving http://$(HOST):$(PORT) with gunicorn (Ctrl+C stops it)"
	HOST=$(HOST) PORT=$(PORT) exec $(BIN)/gunicorn --config gunicorn.conf.py

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# The README's screenshots (docs/screenshots): the main pages at 1280 px and 390 px, from the browser tests.
screenshots: install
	E2E_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest -q tests/e2e/test_screenshots.py

# Refresh the vendored U.S. Web Design System (needs npm; the app itself never does).
uswds:
	scripts/vendor-uswds.sh

bench: install
	$(BIN)/python bench/search.py

clean:
	rm -rf $(VENV) instance/marketplace.db instance/search-index .pytest_cache
