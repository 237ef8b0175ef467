# The two commands: `make run` and `make test`. Both create .venv and install on first use.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run serve test install lint migrate seed bench

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: Roster needs Python 3.11 (set PYTHON=...)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	@mkdir -p db
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

# runserver plus the background jobs (invitation emails show up here, from the console email
# backend); stopping runserver stops the jobs too.
run: seed
	@echo "Serving Roster at http://127.0.0.1:8000/admin/ (background jobs: manage.py jobs)"
	@$(PY) manage.py jobs --no-startup-delay & jobs=$$!; \
	trap 'kill $$jobs 2>/dev/null; wait $$jobs 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:8000

# The production start: migrate, check --deploy, collectstatic, then gunicorn + jobs (bin/serve).
serve: install
	PY=$(PY) bin/serve

test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .

bench: install
	$(PY) bench/run.py
