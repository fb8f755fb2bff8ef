# The two commands a newcomer needs: `make run` and `make test` (see README).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

CHROMIUM ?= /usr/bin/chromium
FONT ?= /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf

.PHONY: run test lint bench clean browser fonts

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

## Initialise var/ (SQLite, keyring, signing key), load demo data, serve on :8000.
run: $(STAMP) fonts
	$(BIN)/qorgau init
	$(BIN)/qorgau demo
	$(BIN)/qorgau run

## Lint, type-check and run the whole suite on SQLite and PostgreSQL, browser tests included.
test: $(STAMP) lint browser fonts
	QORGAU_CHROMIUM=$(CHROMIUM) $(BIN)/pytest -q

## Debian's Chromium for the Playwright browser tests (Playwright's own download is not used).
browser: $(CHROMIUM)

$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "install Chromium, then: make test CHROMIUM=/path/to/chromium"; exit 1; }
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

## A Unicode font for PDF reports (kk/ru): Debian's DejaVu. Without it PDFs answer a clear error.
fonts:
	@test -f $(FONT) || { command -v apt-get >/dev/null && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core; } || \
	  echo "warning: no DejaVu font; PDF reports need fonts-dejavu-core or QORGAU_PDF_FONT"

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

## Every benchmark; each prints one JSON object per line.
bench: $(STAMP)
	@for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
