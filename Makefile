# Developer commands. `make run` and `make test` are the README's two commands.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test test-fast lint bench measure train clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,serve]'
	touch $(STAMP)

install: $(STAMP)

# The receiver and a worker in dry-run mode on the built-in policy: no helpdesk needed.
run: $(STAMP)
	$(BIN)/ticket-warden serve --port $(or $(PORT),8000)

test: $(STAMP)
	$(BIN)/python -m pytest --cov --cov-report=term-missing:skip-covered

# Everything but the few-minute chaos suite, for quick rounds while developing.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not chaos"

lint: $(STAMP)
	$(BIN)/ruff check plugin webhooks tests bench
	$(BIN)/ruff format --check plugin webhooks tests bench
	$(BIN)/mypy --strict plugin webhooks

bench: $(STAMP)
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/receiver.py
	$(BIN)/python bench/api_calls.py

# Precision and recall of the classifiers on the labelled corpora (tests/corpus/README.md).
measure: $(STAMP)
	$(BIN)/python -m tests.corpus.measure

# Retrain the vague-subject model on the corpus's development split.
train: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[corpus]'
	$(BIN)/python -m plugin.language.training

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage .hypothesis *.egg-info
