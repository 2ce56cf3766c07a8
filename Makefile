# The README's commands. `make run` and `make test` do all set-up on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install sysdeps build lint fix eval bench api-bench chat-bench snapshot clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0   # CPU wheel from local disk, before sentence-transformers
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Debian packages the browser test needs (we are root on these machines).
sysdeps:
	@command -v chromium >/dev/null && fc-list | grep -qi "noto.*cjk" || \
	  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk)

run: $(STAMP)            ## chat at http://127.0.0.1:7860, JSON API under /api (builds the index if missing or stale)
	$(BIN)/qa serve

build: $(STAMP)
	$(BIN)/qa build

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: $(STAMP) sysdeps lint   ## lint, types, unit + model + browser tests, quality gate
	$(BIN)/pytest -q

eval: $(STAMP)
	$(BIN)/qa eval --split test --out eval/results/latest.jsonl

bench: $(STAMP)          ## build time, cold start, query latency, memory
	$(BIN)/python scripts/bench.py

api-bench: $(STAMP)  ## the served API and the chat's route under load: latency, throughput, answers, memory
	$(BIN)/python scripts/api_bench.py

chat-bench: $(STAMP) sysdeps  ## the chat in headless Chromium: Enter to answer shown, p50/p95 (target p50 < 150 ms)
	$(BIN)/python scripts/chat_bench.py

snapshot: $(STAMP)    ## rewrite tests/data/snapshot.json from the code's counts, on purpose: review and commit its diff
	$(BIN)/python -m tests.snapshot --update

fix: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) index/CURRENT index/build-*
