# batch-custom-image — every command a user runs. Targets set up what they need (virtualenv, Node tools) on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= dev

.PHONY: setup test test-stages lint typecheck unit config-docs plan preflight fleet-plan fleet-workflow smoke bench-capture bench-plan bench-policies bench-fleet bench-test policy-venv system-deps constraints audit clean

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

## test: the whole offline test suite, with lint and type checks; prints how long each stage took.
## Independent stages run TEST_JOBS at a time (setup, node deps and system deps; then typecheck beside unit), each
## stage's output printed whole when it ends. TEST_JOBS=1 runs them one after another.
TEST_JOBS ?= 2
TEST_TIMES := .build/test-times
TEST_STAGES := setup node-deps system-deps lint typecheck unit
stage_target_setup := setup
stage_target_node-deps := node_modules/.installed
stage_target_system-deps := system-deps
stage_target_lint := lint
stage_target_typecheck := typecheck
stage_target_unit := unit

test:
	@rm -rf $(TEST_TIMES) && mkdir -p $(TEST_TIMES)
	@start=$$(date +%s%N); \
	$(MAKE) --no-print-directory -j$(TEST_JOBS) --output-sync=recurse test-stages; rc=$$?; \
	total=$$(( ($$(date +%s%N) - start) / 1000000 )); \
	echo "make test: time per stage (wall clock; with TEST_JOBS=$(TEST_JOBS) stages overlap)"; \
	for stage in $(TEST_STAGES); do \
	  if [ -f $(TEST_TIMES)/$$stage ]; then read -r ms code < $(TEST_TIMES)/$$stage; \
	    if [ "$$code" = 0 ]; then result=ok; else result="FAILED (exit $$code)"; fi; \
	    printf '  %-12s %6d.%01d s  %s\n' $$stage $$((ms / 1000)) $$((ms % 1000 / 100)) "$$result"; \
	  else printf '  %-12s %8s  %s\n' $$stage - "not run"; fi; \
	done; \
	printf '  %-12s %6d.%01d s  %s\n' total $$((total / 1000)) $$((total % 1000 / 100)) "$$([ $$rc = 0 ] && echo ok || echo FAILED)"; \
	echo "$$total $$rc" > $(TEST_TIMES)/total; \
	exit $$rc

# The stages of `make test` and what each waits for; each runs `make <its target>` and records its time and exit code.
test-stages: $(addprefix test-stage-,$(TEST_STAGES))
test-stage-lint test-stage-typecheck: test-stage-setup
test-stage-unit: test-stage-setup test-stage-node-deps test-stage-system-deps
.PHONY: $(addprefix test-stage-,$(TEST_STAGES))
$(addprefix test-stage-,$(TEST_STAGES)): test-stage-%:
	@echo "==> $*"; start=$$(date +%s%N); \
	$(MAKE) --no-print-directory $(stage_target_$*); rc=$$?; \
	ms=$$(( ($$(date +%s%N) - start) / 1000000 )); echo "$$ms $$rc" > $(TEST_TIMES)/$*; \
	printf '<== %s: %s in %d.%01d s\n' $* "$$([ $$rc = 0 ] && echo ok || echo "FAILED (exit $$rc)")" $$((ms / 1000)) $$((ms % 1000 / 100)); \
	exit $$rc

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/vulture components tools policies/batch_image_policies policies/__main__.py __main__.py  # dead code; tools/vulture_whitelist.py lists what it cannot see
	PYTHONPATH=policies $(VENV)/bin/lint-imports --no-logo  # the layering: [tool.importlinter] in pyproject.toml
	@# cyclomatic complexity (radon): nothing of rank D (above 20) in the program, components and tools, and nothing
	@# above 10 in __main__.py, which only composes (components/publication.py decides how the image is published)
	@too_complex=$$($(VENV)/bin/radon cc -s -n D __main__.py components tools; $(VENV)/bin/radon cc -s -n C __main__.py); \
	if [ -n "$$too_complex" ]; then echo "$$too_complex"; echo "radon cc: split the functions above"; exit 1; fi
	@test $$(wc -l < __main__.py) -le 120 || { echo "__main__.py: $$(wc -l < __main__.py) lines, more than 120: it only composes"; exit 1; }

# One mypy cache for the three runs: the policy pack's and the consumer's __main__.py are checked on their own (three
# modules named __main__), but the SDKs they import are analysed only once. stubs/ keeps mypy to the SDK services the
# code imports (stubs/README.md): a cold run analysed ~8,000 SDK modules before, ~1,000 now.
MYPY := $(CURDIR)/$(VENV)/bin/mypy --cache-dir $(CURDIR)/.mypy_cache
typecheck: setup
	$(MYPY)
	cd policies && $(MYPY) --config-file ../pyproject.toml __main__.py
	cd examples/consumer && $(MYPY) --config-file ../../pyproject.toml __main__.py

# setup installs without byte-compiling (most of pulumi_azure_native is never imported), so the tests cache the bytecode
# of what they import, under .venv (nothing lands in the work tree), also where PYTHONDONTWRITEBYTECODE is set:
# otherwise each test subprocess compiles the SDK modules it imports again (a cold unit stage took 100 s instead of 70 s).
# Test modules are spread over TEST_WORKERS processes (pytest-xdist), a module's tests staying together so its fixtures
# (the fakes, a program run) are built once per module. 3 workers on 2 cores: about a third of the suite's time is
# waiting (simulated Azure durations, retry back-offs, the no-credentials check's IMDS retries), which the third
# worker fills. Under 3 workers and 2 busy processes, providers stopped with SIGINT exited within 1.6 s of the 5 s grace.
TEST_WORKERS ?= 3
unit: setup node_modules/.installed
	env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX=$(CURDIR)/$(VENV)/pycache $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

## config-docs: regenerate Pulumi.yaml's config descriptions from the settings models (each key's Field description)
config-docs: setup
	$(PY) -m tools.config_docs

## plan: offline plan of a stack (no cloud credentials): resources, graph, critical path, policy results
plan: setup
	$(PY) -m tools.plan --stack $(STACK)

## fleet-plan: offline plan + policy pack of every stack of a fleet manifest (MANIFEST), one table; exit 1 on any
## mandatory result, 2 for a manifest that names an unknown stack, has a cycle or a region its image doesn't reach
## (make itself exits 2 for any failed recipe: the line it prints, or `python -m tools.fleet plan`, gives the code)
MANIFEST ?= fleet/fleet.yaml
fleet-plan: setup
	@env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX=$(CURDIR)/$(VENV)/pycache $(PY) -m tools.fleet plan \
	  --manifest $(MANIFEST) || { rc=$$?; echo "fleet-plan: exit $$rc (1: a mandatory result; 2: the manifest or a stack is invalid)"; exit $$rc; }

## fleet-workflow: regenerate .github/workflows/fleet.yml from the manifest (tests/fleet checks it is up to date)
fleet-workflow: setup
	$(PY) -m tools.fleet workflow --manifest $(MANIFEST)

## preflight: before the first `pulumi up`, read-only checks of the subscription (needs az login; PREFLIGHT_FLAGS adds
## flags, e.g. PREFLIGHT_FLAGS="--json --resource-group my-rg --batch-endpoint acct.westeurope.batch.azure.com")
PREFLIGHT_FLAGS ?=
preflight: setup
	$(PY) -m tools.preflight --stack $(STACK) $(PREFLIGHT_FLAGS)

## smoke: after `pulumi up`, check the pool with the Batch API (needs az login)
smoke: setup
	$(PY) -m tools.smoke --stack $(STACK)

bench-capture: setup node_modules/.installed
	$(PY) -m tools.bench.capture

bench-plan: setup
	$(PY) -m tools.bench.plan

## bench-fleet: a generated fleet of 50 image stacks and 200 pool stacks planned offline (goal: under 120 s on 2 cores),
## time per stack, and the time per stack at 50 and 250 stacks (linear growth)
bench-fleet: setup
	env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX=$(CURDIR)/$(VENV)/pycache $(PY) -m tools.bench.fleet

bench-policies: setup
	$(PY) -m tools.bench.policies

## bench-test: how long a cold `make test` takes: a fresh clone of the committed HEAD (no .venv, no caches), per stage
bench-test:
	$(PYTHON) tools/bench/cold_test.py

## policy-venv: the virtualenv the Pulumi CLI runs the policy pack in (pulumi preview --policy-pack policies)
policy-venv: policies/venv/.installed

policies/venv/.installed: policies/requirements.txt
	test -x policies/venv/bin/python || $(PYTHON) -m venv policies/venv
	policies/venv/bin/pip install --quiet --disable-pip-version-check -r policies/requirements.txt
	touch $@

## constraints: re-pin every package of the virtualenv (setuptools included: pulumi-policy requires it; pip is not)
constraints: setup
	( echo '# Every package in the development virtualenv, pinned (pip freeze). Regenerate with `make constraints`.'; \
	  $(PY) -m pip freeze --all --exclude-editable | grep -v '^pip==' ) > constraints.txt

## audit: known vulnerabilities in the pinned packages of both virtualenvs, the program's (constraints.txt, every
## package of .venv) and the policy pack's (policies/requirements.txt), looked up by pip-audit (AUDIT_SERVICE: pypi,
## PyPI's advisory data, the default; or osv). Needs internet. Not part of `make test`: advisories change without any
## change here. Exit 1 when a package has a known vulnerability, or could not be looked up (--strict).
AUDIT_VENV := .build/audit-venv
AUDIT_SERVICE ?= pypi
AUDIT_FLAGS ?=  # more pip-audit options, e.g. --osv-url <your OSV mirror>/v1/query, --ignore-vuln <id>
AUDIT_SETS := constraints.txt policies/requirements.txt
audit: $(AUDIT_VENV)/.installed
	@rc=0; for set in $(AUDIT_SETS); do \
	  echo "==> pip-audit $$set ($(AUDIT_SERVICE))"; \
	  $(AUDIT_VENV)/bin/pip-audit --requirement $$set --no-deps --disable-pip --strict \
	    --vulnerability-service $(AUDIT_SERVICE) --progress-spinner off $(AUDIT_FLAGS) || rc=1; \
	done; exit $$rc

# pip-audit lives in its own virtualenv (pinned in requirements-audit.txt), so `make setup` and `make test` never
# install it or its dependencies.
$(AUDIT_VENV)/.installed: requirements-audit.txt
	test -x $(AUDIT_VENV)/bin/python || $(PYTHON) -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-audit.txt
	touch $@

clean:
	rm -rf $(VENV) node_modules .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
