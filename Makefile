# batch-custom-image — every command a user runs. Targets set up what they need (virtualenv, Node tools) on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= dev

.PHONY: setup test lint typecheck unit plan smoke bench-capture bench-plan bench-policies policy-venv system-deps constraints clean

## setup: create .venv and install the pinned dependencies (and test tools)
setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-compile -r requirements-dev.txt -c constraints.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## system-deps: Debian tools the tests use (shellcheck, cloud-init); installs them when missing and allowed
system-deps:
	@missing=""; for tool in shellcheck cloud-init; do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

## test: the whole offline test suite, with lint and type checks
test: setup node_modules/.installed system-deps lint typecheck unit

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# One mypy cache for the three runs: the policy pack's and the consumer's __main__.py are checked on their own (three
# modules named __main__), but the SDKs they import (pulumi_azure_native is most of the time) are analysed only once.
MYPY := $(CURDIR)/$(VENV)/bin/mypy --cache-dir $(CURDIR)/.mypy_cache
typecheck: setup
	$(MYPY)
	cd policies && $(MYPY) --config-file ../pyproject.toml __main__.py
	cd examples/consumer && $(MYPY) --config-file ../../pyproject.toml __main__.py

unit: setup node_modules/.installed
	$(PY) -m pytest

## plan: offline plan of a stack (no cloud credentials): resources, graph, critical path, policy results
plan: setup
	$(PY) -m tools.plan --stack $(STACK)

## smoke: after `pulumi up`, check the pool with the Batch API (needs az login)
smoke: setup
	$(PY) -m tools.smoke --stack $(STACK)

bench-capture: setup node_modules/.installed
	$(PY) -m tools.bench_capture

bench-plan: setup
	$(PY) -m tools.bench_plan

bench-policies: setup
	$(PY) -m tests.policies.bench_policy_runner

## policy-venv: the virtualenv the Pulumi CLI runs the policy pack in (pulumi preview --policy-pack policies)
policy-venv: policies/venv/.installed

policies/venv/.installed: policies/requirements.txt
	test -x policies/venv/bin/python || $(PYTHON) -m venv policies/venv
	policies/venv/bin/pip install --quiet --disable-pip-version-check -r policies/requirements.txt
	touch $@

## constraints: re-pin every package of the virtualenv
constraints: setup
	( echo '# Every package in the development virtualenv, pinned (pip freeze). Regenerate with `make constraints`.'; \
	  $(PY) -m pip freeze --exclude-editable ) > constraints.txt

clean:
	rm -rf $(VENV) node_modules .mypy_cache .ruff_cache .pytest_cache
