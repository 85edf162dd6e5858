# Every target creates .venv and installs what it needs, so each works on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PYTEST := $(BIN)/python -m pytest -c tests/pytest.ini

.PHONY: demo test test-unit soak eval migrate bench bridge dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# One stamp per requirements set: re-installs only when one of its files changes.
$(VENV)/.req-local: requirements-local.txt requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r $<
	touch $@

$(VENV)/.req-dev: requirements-dev.txt requirements-local.txt requirements.txt infra/bridge/requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r $<
	touch $@

$(VENV)/.req-bridge: infra/bridge/requirements.txt requirements-local.txt requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-local.txt -r infra/bridge/requirements.txt
	touch $@

# Chat with the bot in the terminal on embedded defaults (or what .env configures);
# `make demo < script.txt` plays one customer message per line.
demo: $(VENV)/.req-local
	@$(BIN)/python -m shared demo

# All tests against the local Postgres/Redis (or embedded ones; EMBEDDED=1 forces them).
test: $(VENV)/.req-dev
	$(PYTEST) tests

test-unit: $(VENV)/.req-dev
	$(PYTEST) -m unit tests

# The reliability suite at full size (bursts, money storm, forgery, faults, fuzzing; not in CI).
soak: $(VENV)/.req-dev
	SOAK=1 $(PYTEST) tests/reliability

# Apply supabase/migrations over DATABASE_URL (or the embedded Postgres).
migrate: $(VENV)/.req-local
	$(BIN)/python -m shared migrate

# The scripted dialogs on both paths: intent/slot accuracy, model calls and prompt size per turn.
eval: $(VENV)/.req-dev
	$(BIN)/python -m tests.dialogs

# The WhatsApp bridge in the foreground, settings from the environment / .env (docs/bridge.md).
bridge: $(VENV)/.req-bridge
	@PYTHONPATH=.:infra/bridge $(BIN)/python -m bridge

# The whole stack locally behind the web phone: bridge (webphone session), the functions under
# functions-framework, the Atlantic sandbox; embedded defaults, no credentials. Prints one URL.
dev: $(VENV)/.req-bridge
	@PYTHONPATH=.:infra/bridge $(BIN)/python -m bridge dev

bench: $(VENV)/.req-dev
	PYTHONPATH=.:infra/bridge $(BIN)/python -m tests.bench

clean:
	rm -rf $(VENV) .data
