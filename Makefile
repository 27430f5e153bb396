# The two commands of the README: `make run` and `make test`. Everything they need is installed
# from requirements/dev.lock (pinned, with hashes) into .venv on first use.

PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 \
	&& { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest venv clean lock

# The 2024 campaign lives in the past: the demo clock starts the day before the first release.
# `make run CLOCK=` runs on real time.
CLOCK ?= 2024-06-20T09:00:00+08:00

run: $(STAMP)
	$(BIN)/huiquan serve --demo $(if $(CLOCK),--clock $(CLOCK))

test: $(STAMP)
	$(BIN)/python scripts/run_tests.py

lint: $(STAMP)
	$(BIN)/ruff check huiquan tests bench scripts

typecheck: $(STAMP)
	$(BIN)/mypy huiquan

venv: $(STAMP)

$(STAMP): requirements/dev.lock pyproject.toml
	@test -n "$(PYTHON)" || { echo "需要 Python 3.11 或更高版本 (Python >= 3.11 is required)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Re-resolve the locked set after editing requirements/*.in (needs network to PyPI).
lock:
	$(PYTHON) -m venv /tmp/huiquan-lock && /tmp/huiquan-lock/bin/pip install --quiet uv
	cd requirements && /tmp/huiquan-lock/bin/uv pip compile --generate-hashes --universal \
		--python-version 3.11 base.in -o base.lock
	cd requirements && /tmp/huiquan-lock/bin/uv pip compile --generate-hashes --universal \
		--python-version 3.11 dev.in -o dev.lock

clean:
	rm -rf $(VENV) var/static var/test-*.db*
