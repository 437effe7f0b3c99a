# 360Connect developer commands. `make demo` and `make test` each install everything first.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(PYTHON) -m uv
RUN := $(UV) run --frozen
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
SCALE ?= 10000
DAYS ?= 180
STAGES ?= simulate,raw_scan_floor,load,dbt_build,identity,journeys

.PHONY: install demo dev test lint format bench accuracy journey-accuracy consent-accuracy docs gx clean

install:  ## Python dependencies (uv, locked) and the dbt manifest
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "uv>=0.5"
	@# Quiet: a first install would list each of its ~160 packages.
	$(UV) sync --frozen --quiet
	@# The scripts and styles the Great Expectations Data Docs load, pinned, from the npm registry.
	$(RUN) python -m orchestration.quality.data_docs
	@# DuckDB creates the warehouse file but not its folder.
	mkdir -p "$$(dirname "$${CONNECT360_WAREHOUSE:-data/warehouse/connect360.duckdb}")"
	@# Parsed aside and renamed into place, so a running pipeline never reads half a manifest.
	mkdir -p target/parse && cp target/partial_parse.msgpack target/parse/ 2>/dev/null || true
	$(RUN) dbt parse --quiet --project-dir . --profiles-dir . --target-path target/parse
	mv target/parse/manifest.json target/parse/partial_parse.msgpack target/

demo: install  ## Simulate demo data and run the whole pipeline on it
	$(RUN) python -m orchestration.demo

dev: install  ## The Dagster UI and daemon (schedules, sensors) on http://127.0.0.1:3000
	$(RUN) dagster dev

lint:  ## ruff and sqlfluff, as the test command runs them
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	@# Compiled against an empty database (the `lint` dbt target): the same answer whatever
	@# the warehouse holds. Then the incremental branch of every model whose own text has one.
	$(RUN) sqlfluff lint models macros --processes 2
	files="$$($(RUN) python lint/incremental_models.py)" && \
		$(RUN) sqlfluff lint --config lint/incremental.cfg --processes 2 $$files

format:
	$(RUN) ruff format .
	$(RUN) ruff check --fix .
	$(RUN) sqlfluff fix models macros

test: install lint  ## Every test and lint
	@# Headless Chromium renders the Data Docs offline in a test (Debian packages, apt-get).
	scripts/ensure-chromium
	$(RUN) pytest -n 2 --dist loadfile --no-loadscope-reorder --durations=20

bench: install  ## Time every stage at SCALE people over DAYS days: make bench SCALE=200000
	$(RUN) connect360-bench --people $(SCALE) --days $(DAYS) --stages $(STAGES)

accuracy: install  ## Identity resolution against the simulator's truth, with and without matching
	$(RUN) python -m orchestration.identity.accuracy --build

journey-accuracy: install  ## Journey moments and funnels against the simulator's truth
	$(RUN) python -m orchestration.journeys.accuracy --build --oracle-identity

consent-accuracy: install  ## The consent suite against the simulator's injected violations
	$(RUN) python -m orchestration.quality.accuracy

docs: install  ## dbt docs and the landing contract pages
	$(RUN) python -m orchestration.ingestion.contract_docs
	$(RUN) dbt docs generate --static --project-dir . --profiles-dir . --target-path target/docs
	cp target/docs/static_index.html target/static_index.html

gx: install  ## Rewrite the Great Expectations project (gx/) from orchestration/quality/suites.py
	$(RUN) python -m orchestration.quality.project

clean:
	rm -rf data target logs .dagster_home/storage .dagster_home/history .dagster_home/schedules .dagster_home/logs
