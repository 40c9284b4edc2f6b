# swdw: make demo | make test | make install (docs/design.md §8)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
TOOLS := .tools
UV_VERSION := 0.13.9
export SWDW_HOME ?= $(CURDIR)/.swdw
export SWDW_LANDING_DIR ?= $(CURDIR)/data/landing
# never reach beyond the package index: no managed Python downloads, no telemetry
export UV_PYTHON_DOWNLOADS := never
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false

UV := $(shell command -v uv 2>/dev/null || echo $(TOOLS)/bin/uv)
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project -path dbt_project/target -prune -o -type f \( -name '*.sql' -o -name '*.yml' -o -name '*.csv' \) -print 2>/dev/null)

.PHONY: install system-packages demo test test-fast lint fuzz fuzz-marts bench clean stop bi bi-install bi-down bi-status bench-bi airflow airflow-down
install: $(VENV)/.synced $(MANIFEST)

$(TOOLS)/bin/uv:
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --python 3.11
	touch $@

# Cosmos renders the build DAG from this manifest: parsing never runs dbt at DAG-parse time
$(MANIFEST): $(VENV)/.synced $(DBT_SOURCES)
	$(VENV)/bin/python -m ingest.jobs.transform parse
	touch $@

# Apache Superset lives in its own locked environment (its pins conflict with Airflow's)
BI_VENV := bi/.venv
bi-install: $(BI_VENV)/.synced
$(BI_VENV)/.synced: bi/uv.lock bi/pyproject.toml | $(UV)
	$(UV) --directory bi sync --frozen --python 3.11
	touch $@

# the dashboards on 127.0.0.1:8088 (SWDW_BI_PORT): `swdw bi up` returns once Superset answers
bi: install bi-install
	$(VENV)/bin/swdw bi up
bi-down:
	-$(VENV)/bin/swdw bi down
bi-status:
	$(VENV)/bin/swdw bi status

# time until every chart of each dashboard rendered, cold and warm (asserts nothing)
bench-bi: install bi-install
	$(VENV)/bin/python benchmarks/bi_render.py

demo: install
	$(VENV)/bin/swdw sample --out $(SWDW_LANDING_DIR)
	$(VENV)/bin/python -m ingest.airflow.local_runner --quiet swdw_ingest_submissions swdw_build_marts
	$(VENV)/bin/swdw status --status quarantined
	$(VENV)/bin/swdw summary

# the same hooks as .pre-commit-config.yaml: ruff over all Python, sqlfluff over models, tests and macros
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/sqlfluff lint dbt_project/models dbt_project/tests dbt_project/macros

# chromium, a CJK font and a compose client (scripts/system-packages.sh says which and why):
# installed with apt-get when root, otherwise named with the command, and the run stops here
system-packages:
	scripts/system-packages.sh

test: system-packages install bi-install lint
	$(VENV)/bin/python -m pytest -q --durations=10 tests

# the edit loop (under 3 minutes): no live services, no browser, nothing slow
test-fast: install
	$(VENV)/bin/python -m pytest -q --durations=10 -m "not slow and not services and not browser" tests

# the performance harness (asserts nothing): make bench [ROWS=20000] for a quick look
ROWS ?= 100000
bench: install
	$(VENV)/bin/python benchmarks/bench.py --rows $(ROWS)

# the long runs: make fuzz [EXAMPLES=30] [SEED=7] [READER_EXAMPLES=20000]
fuzz: fuzz-marts fuzz-readers

# property-based run over readers and normaliser
READER_EXAMPLES ?= 20000
fuzz-readers: install
	SWDW_FUZZ_EXAMPLES=$(READER_EXAMPLES) SWDW_FUZZ_SEED=$(or $(SEED),1) \
		$(VENV)/bin/python -m pytest -q -p no:cacheprovider --hypothesis-show-statistics tests/test_fuzz_readers.py

# the long run of generated submission sequences against the Python oracle of the marts:
# make fuzz-marts EXAMPLES=40 SEED=7; SHRINK=0 reports the first failure without shrinking it.
# About 20-30 s per example here.
EXAMPLES ?= 30
SEED ?=
SHRINK ?= 1
fuzz-marts: install
	SWDW_FUZZ_EXAMPLES=$(EXAMPLES) SWDW_FUZZ_SEED=$(SEED) SWDW_FUZZ_SHRINK=$(SHRINK) \
		$(VENV)/bin/python -m pytest -q -p no:cacheprovider --hypothesis-show-statistics \
		tests/test_marts_oracle.py -k test_generated_sequences_match_the_oracle

# the real Airflow services in the background (UI on 127.0.0.1:$(AIRFLOW_PORT), login printed);
# `make airflow-down` (or `swdw airflow down`) stops them
AIRFLOW_PORT ?= 8080
airflow: install
	$(VENV)/bin/swdw airflow up --port $(AIRFLOW_PORT)

airflow-down:
	-$(VENV)/bin/swdw airflow down

stop: airflow-down
	-$(VENV)/bin/swdw bi down
	-$(VENV)/bin/swdw stop

clean: stop
	rm -rf $(SWDW_HOME) data $(MANIFEST)
