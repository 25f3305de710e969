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

.PHONY: help venv collection demo test unit sandbox-test integration sanity lint clean

help:
	@echo "make demo   - start the sandbox, seed a fleet on both clouds, run playbooks/demo.yml, stop the sandbox"
	@echo "make test   - everything CI runs (unit, sandbox, integration, ansible-test sanity, ansible-lint)"
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

sandbox-test: collection
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) tests/sandbox

integration: collection
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) tests/integration

# ansible-test wants the collection at ansible_collections/NS/NAME: test what ships, the built artifact.
SANITY_ROOT := $(CURDIR)/.cache/sanity
sanity: collection
	rm -rf $(SANITY_ROOT) && mkdir -p $(SANITY_ROOT)
	$(VENV)/bin/ansible-galaxy collection build --force --output-path $(SANITY_ROOT) . >/dev/null
	$(VENV)/bin/ansible-galaxy collection install --force -p $(SANITY_ROOT) $(SANITY_ROOT)/cloudfleet-lifecycle-*.tar.gz >/dev/null
	cd $(SANITY_ROOT)/ansible_collections/cloudfleet/lifecycle && \
	  PATH=$(CURDIR)/$(VENV)/bin:$$PATH ansible-test sanity --python 3.11 --color no

lint: collection
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH ansible-lint --profile production
	$(VENV)/bin/antsibull-changelog lint

demo: collection
	sandbox/demo.sh

test: unit sandbox-test integration sanity lint

clean:
	rm -rf $(VENV) .cache
