# The two commands a newcomer needs: `make run` and `make test` (see README).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

CHROMIUM ?= /usr/bin/chromium
FONT ?= /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf

LOCALE := src/qorgau/i18n/locale
DOMAINS := messages policy documents
# Message ids are symbolic keys; babel.cfg maps files to extractors (see qorgau.i18n).
EXTRACT = $(BIN)/pybabel -q extract -F babel.cfg --no-default-keywords \
	--project=qorgau --version=0.1.0 --copyright-holder=qorgau \
	--msgid-bugs-address=dev@qorgau.example

.PHONY: run test lint bench clean browser fonts messages

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(BIN)/pybabel -q compile -d $(LOCALE) -D '$(DOMAINS)'
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

## Extract the keys used in code and templates into build/i18n/<domain>.pot and update the
## kk, ru and en catalogues (new keys arrive untranslated: tests/unit/test_translations.py
## fails until each has its text), then compile the .mo files.
messages: $(STAMP)
	mkdir -p build/i18n
	$(EXTRACT) -k t:2 --ignore-dirs="locale .* ._" -o build/i18n/messages.pot src/qorgau \
	  $(LOCALE)/en/LC_MESSAGES/messages.po
	$(EXTRACT) -k _t:1 -o build/i18n/policy.pot src/qorgau/policy/render.py \
	  $(LOCALE)/en/LC_MESSAGES/policy.po
	$(EXTRACT) -k _t:1 -o build/i18n/documents.pot src/qorgau/retention/act_pdf.py \
	  src/qorgau/dsr/report_pdf.py src/qorgau/consent/document_view.py \
	  $(LOCALE)/en/LC_MESSAGES/documents.po
	for d in $(DOMAINS); do \
	  $(BIN)/pybabel -q update -N -i build/i18n/$$d.pot -d $(LOCALE) -D $$d || exit 1; done
	$(BIN)/pybabel -q compile -d $(LOCALE) -D '$(DOMAINS)'

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

## Every benchmark; each prints one JSON object per line.
bench: $(STAMP)
	@for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var build/i18n .pytest_cache .mypy_cache .ruff_cache
	find $(LOCALE) -name '*.mo' -delete
