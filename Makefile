# The two commands: `make run` and `make test`. Everything else is a step of them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
BIN    := $(VENV)/bin
MSP    := $(BIN)/msp-bot
STAMP  := $(VENV)/.installed
NLP    := var/spacy/msp_en/meta.json
MODEL  := models/msp.tar.gz
CONTENT := $(wildcard bot/content/*.yml bot/content/*.py)
DATA   := $(shell find data -name '*.yml' -not -path 'data/nlu/guidance.yml' -not -path 'data/responses/*.yml' 2>/dev/null)
GENERATED := data/nlu/guidance.yml data/responses/guidance.yml data/responses/safety.yml

export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONWARNINGS := ignore::DeprecationWarning

# A Python 3.8-3.10 (Rasa 3.6 supports no other): PYTHON=..., then python3.10,
# then pyenv's, then python3.9/3.8/python3 if they are the right version.
PYTHON ?= $(shell for p in python3.10 $$(pyenv root 2>/dev/null)/versions/3.10*/bin/python \
	$$HOME/.pyenv/versions/3.10*/bin/python python3.9 python3.8 python3; do \
	  if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(not (3,8) <= sys.version_info[:2] <= (3,10))' 2>/dev/null; \
	  then command -v $$p; break; fi; done)

.PHONY: help setup run shell train test validate bench bench-nlu bench-safety css clean

help:
	@echo "make run    set everything up and start the assistant (Ctrl-C stops it)"
	@echo "make test   set everything up and run every test suite"
	@echo "make shell  talk to the assistant in this terminal"
	@echo "make bench-nlu  held-out topic accuracy beside a TF-IDF baseline"
	@echo "make bench-safety  the safety net on its suite and the development set, and its time per message"
	@echo "make bench  startup, memory, latency and throughput beside a stock Rasa assistant"

$(STAMP): requirements.txt pyproject.toml
	@if [ -z "$(PYTHON)" ]; then \
	  echo "No Python 3.8-3.10 found. Rasa 3.6 needs one: install Python 3.10"; \
	  echo "(e.g. 'pyenv install 3.10.13') or run 'make PYTHON=/path/to/python3.10 ...'."; exit 1; fi
	@[ -x $(BIN)/python ] || { echo "Creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "pip==24.0"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

.env: | $(STAMP)
	$(MSP) init-env

$(GENERATED) &: $(CONTENT) | $(STAMP)
	$(MSP) build-data

$(NLP): $(CONTENT) bot/nlp/pipeline.py | $(STAMP)
	$(MSP) build-nlp

$(MODEL): config.yml domain.yml $(DATA) $(GENERATED) $(NLP) | $(STAMP)
	$(MSP) train

setup: $(STAMP) .env $(NLP) $(MODEL)

run: setup
	$(MSP) run

shell: setup
	$(MSP) shell

train: $(MODEL)

validate: setup
	$(MSP) validate

test: setup
	$(MSP) validate
	$(BIN)/python -m pytest -q
	$(MSP) test-stories

bench-nlu: setup
	$(BIN)/python bench/nlu.py

bench-safety: $(STAMP)
	$(BIN)/python bench/safety_net.py

# Startup, memory, latency and throughput beside a stock `rasa init` assistant.
bench: setup
	$(BIN)/python bench/load.py

# The chat page's styles from govuk-frontend (the result is committed).
css:
	cd bot/web/styles && npm ci --no-audit --no-fund && npm run build

clean:
	rm -rf models results var/spacy .rasa $(GENERATED)
