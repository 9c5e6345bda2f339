# The commands a newcomer needs: `make dev` and `make test`. Everything installs itself from nothing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-12)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install dev test lint typecheck unit synth bench openapi demo clean

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing dependencies into $(VENV) (first time takes about a minute)..."
	@$(PY) -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
	@$(PY) -m pip install -q -r requirements-dev.txt 2>&1 | grep -v "^WARNING: Location" || true
	@$(PY) -c 'import aws_cdk, moto, python_calamine, rustpy_xlsxwriter, pydantic'  # fail loudly if pip failed
	@echo "$(CURDIR)/layers/shared/python" > "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/runs_project.pth"
	@rm -f $(VENV)/.installed-*; touch $@

dev: install  ## Start the local stack (moto + REST API) on http://127.0.0.1:$${PORT:-8000}
	$(PY) -m local

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: install
	$(PY) -m mypy layers/shared/python/runs layers/shared/python/normalizer functions local stacks app.py

test: lint typecheck  ## Unit, integration (moto), infrastructure (synth + cfn-lint) and end-to-end tests
	$(PY) -m pytest -n 2 --dist loadgroup -q

unit: install
	$(PY) -m pytest -q tests/unit

synth: install  ## Synthesize the CDK app into cdk.out/
	$(PY) app.py

openapi: install  ## Regenerate docs/openapi.json and docs/configuration.schema.json
	$(PY) -m runs.openapi --write

bench: install  ## Print the performance table and write bench/results.json
	$(PY) -m bench

demo: install  ## With `make dev` running: upload a messy workbook, run it, save the output
	$(PY) -m local.demo

clean:
	rm -rf $(VENV) cdk.out build .mypy_cache .ruff_cache .hypothesis bench/out
