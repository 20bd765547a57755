# The two commands of the README: `make run` and `make test`. Needs Python 3.11+ and make.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test lint format install clean messages translations screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# Message catalogs: the .po files are the source; the .mo files the app reads are compiled
# from them here (and committed, so a plain `pytest` also finds them; a test checks they match).
CATALOGS := otpauth/translations
BABEL_KEYWORDS := -k _l -k lazy_gettext

install: $(VENV)/.installed translations

## translations: compile the message catalogs (.po -> .mo)
translations: $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d $(CATALOGS)

## messages: extract every translatable string and add the new ones to each catalog
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --no-location --sort-output \
		--project otpauth -o $(CATALOGS)/messages.pot .
	$(BIN)/pybabel update -i $(CATALOGS)/messages.pot -d $(CATALOGS) --no-fuzzy-matching \
		--width 100
	@echo "Now translate the empty msgstr entries, then: make translations"

# The port `make run` serves on: `make run PORT=5600`, or FLASK_RUN_PORT as `flask run` reads it.
PORT ?= $(or $(FLASK_RUN_PORT),5000)

## run: migrate, add the demo customer, serve on http://localhost:$(PORT) (codes print here)
# Opened as localhost, not 127.0.0.1: browsers refuse an IP address as a passkey's RP ID.
run: install
	$(FLASK) db upgrade
	$(FLASK) customers create --name "Demo Household" --email test@example.com \
		--phone 9876543210 --type Household --exist-ok
	$(FLASK) run --port $(PORT)

## test: the whole suite (real Redis/PostgreSQL too when TEST_REDIS_URL/TEST_DATABASE_URL are set)
test: install
	$(BIN)/pytest

## screenshots: refresh docs/screenshots from a browser-test run (pngquant, optipng if present)
SHOTS := request verify dashboard
CONSOLE_SHOTS := overview search customer import-report
screenshots: install
	rm -rf $(CURDIR)/.screenshots
	SCREENSHOT_DIR=$(CURDIR)/.screenshots $(BIN)/pytest -q -p no:cacheprovider \
		tests/test_browser_a11y.py -k axe tests/test_browser_console.py
	for page in $(SHOTS); do for lang in en hi; do for width in 360 1280; do \
		src=$$page; [ $$page = verify ] && src=verify-wrong; \
		cp .screenshots/$$src-$$lang-$$width.png docs/screenshots/$$page-$$lang-$$width.png; \
	done; done; done
	for page in $(CONSOLE_SHOTS); do for width in 360 1280; do \
		cp .screenshots/admin-$$page-$$width.png docs/screenshots/; \
	done; done
	-pngquant --force --ext .png --quality 60-85 --speed 1 docs/screenshots/*.png
	-optipng -quiet -o2 docs/screenshots/*.png
	rm -rf $(CURDIR)/.screenshots

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .hypothesis
