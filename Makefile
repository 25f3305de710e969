# cloudfleet.lifecycle — every command a person or CI runs. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The checkout, importable as cloudfleet.lifecycle without installing it.
COLLECTIONS := $(CURDIR)/.cache/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/cloudfleet/lifecycle
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_LOCAL_TEMP := $(CURDIR)/.cache/ansible-tmp
export ANSIBLE_HOME := $(CURDIR)/.cache/ansible-home
# Two workers: this machine (and CI) has 2 cores.
PYTEST_WORKERS ?= 2
# The integration tests mostly wait on ansible-playbook and the sandbox's transitions (about one core busy
# at -n 4): four workers take 14 minutes where two take about 25.
INTEGRATION_WORKERS ?= 4

.PHONY: help venv collection demo test unit contract sandbox-test integration sanity lint molecule bench clean

help:
	@echo "make demo   - start the sandbox, seed a fleet on both clouds, run playbooks/demo.yml, stop the sandbox"
	@echo "make test   - everything CI runs (unit, contract, sandbox, integration, ansible-test sanity, ansible-lint, molecule)"
	@echo "make bench  - benchmark stop-then-release against amazon.aws on the sandbox (N=1000 REPEAT=3 SWEEP=1); not part of test"
	@echo "make clean  - remove the venv and caches"

# The venv is rebuilt only when a requirements file changes; a second `make test` reuses it.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn $(CURDIR) $@

collection: venv $(COLLECTION_LINK)

unit: collection
	$(PY) -m pytest -q tests/unit

# The providers' contract: the same assertions on the AWS and Alibaba providers (on the sandbox) and on
# the unit tests' fake provider, without ansible-playbook.
contract: collection
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) tests/contract

# The AWS CLI, a foreign client of the sandbox (tests/sandbox/test_ec2_aws_cli.py), in a venv of its own:
# it carries its own botocore, which the collection's pinned one must not meet.
AWSCLI_VENV := .cache/awscli-venv
$(AWSCLI_VENV)/.installed: tests/sandbox/requirements-awscli.txt
	test -x $(AWSCLI_VENV)/bin/python || $(PYTHON) -m venv $(AWSCLI_VENV)
	$(AWSCLI_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r tests/sandbox/requirements-awscli.txt
	touch $@

sandbox-test: collection $(AWSCLI_VENV)/.installed
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) tests/sandbox

integration: collection
	$(PY) -m pytest -q -n $(INTEGRATION_WORKERS) tests/integration

# ansible-test wants the collection at ansible_collections/NS/NAME, and outside this git checkout
# (inside it, ansible-test lists files through git, which ignores .cache). Test what ships: the
# built artifact, installed in a temporary tree. ansible-test makes a pinned venv per sanity test;
# its pip bootstrap download is unreachable here, so it gets a local stand-in, in a HOME of ours.
ANSIBLE_TEST_HOME := $(CURDIR)/.cache/ansible-test-home
ANSIBLE_TEST_PIP_VERSION := 24_2
sanity: collection
	mkdir -p $(ANSIBLE_TEST_HOME)/.ansible/test/cache
	cp .ci/ansible_test_get_pip.py $(ANSIBLE_TEST_HOME)/.ansible/test/cache/get_pip_$(ANSIBLE_TEST_PIP_VERSION).py
	@set -e; root=$$(mktemp -d); trap 'rm -rf "$$root"' EXIT; \
	$(VENV)/bin/ansible-galaxy collection build --force --output-path "$$root" . >/dev/null; \
	ANSIBLE_COLLECTIONS_PATH="$$root" $(VENV)/bin/ansible-galaxy collection install --force -p "$$root" "$$root"/cloudfleet-lifecycle-*.tar.gz >/dev/null; \
	cd "$$root/ansible_collections/cloudfleet/lifecycle" && \
	HOME=$(ANSIBLE_TEST_HOME) PATH=$(CURDIR)/$(VENV)/bin:$$PATH ansible-test sanity --python 3.11 --color no --requirements

lint: collection
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH ansible-lint --profile production
	$(VENV)/bin/antsibull-changelog lint

# Molecule scenarios in extensions/molecule/ (one per role), on localhost against the sandbox.
# MOLECULE_SCENARIOS=stop_then_release runs one; empty runs them all.
MOLECULE_SCENARIOS ?=
molecule: collection
	@set -e; for s in $(or $(MOLECULE_SCENARIOS),$(shell cd extensions/molecule && ls */molecule.yml | xargs -n1 dirname)); do \
	  PATH=$(CURDIR)/$(VENV)/bin:$$PATH MOLECULE_NO_LOG=false $(VENV)/bin/molecule test -s $$s; \
	done

demo: collection
	sandbox/demo.sh

test: unit contract sandbox-test integration sanity lint molecule

# A benchmark, not a test (see bench/README.md): the sandbox at --transition-seconds 1, N instances
# (half EC2, half ECS), each case REPEAT times, medians -> bench/results/{results.json,results.md,chart.png}.
# amazon.aws comes from a separate, pinned bench-only venv (.cache/bench-venv, bench/requirements.txt).
# SWEEP=1 runs N = 10, 100, 1000, 3000. The default takes about 25 minutes on 2 cores.
N ?= 1000
REPEAT ?= 3
SWEEP ?=
PER_HOST_CAP ?= 20
OUT ?=
bench: collection
	$(PY) bench/run.py --n $(N) --repeat $(REPEAT) --per-host-cap $(PER_HOST_CAP) $(if $(OUT),--out $(OUT)) $(if $(filter 1,$(SWEEP)),--sweep)

clean:
	rm -rf $(VENV) .cache
