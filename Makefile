# Two commands: `make run` (set up, then open the chat page on the seed articles) and
# `make test` (set up, then run every test). Everything else here serves those two.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 7860
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export NEWSQA_CACHE_DIR ?= $(CURDIR)/.cache/newsqa

.PHONY: run test setup model browser lint bench clean

run: setup model
	$(BIN)/qa serve --port $(PORT)

test: setup model browser
	$(BIN)/ruff check .
	$(BIN)/pytest

setup: $(STAMP)

# torch is pinned first so that the local CPU build is used (an unpinned torch pulls CUDA).
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# Convert the bundled default model once (offline); later runs find it in the cache.
model: setup
	$(BIN)/python -c "from qa.settings import Settings; from embeddings.models import load_embedder; s = Settings.from_env(); load_embedder(s.model, s.model_cache_dir)"

# Debian's Chromium for the browser tests (no browser download is possible here).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

lint: setup
	$(BIN)/ruff check .

# Figures for docs/benchmarks.md; BENCH_ARGS="--docs 50 --scale 10000" for a quick run.
bench: setup model
	$(BIN)/pip install -q -c constraints.txt -e '.[dev,bench]'
	$(BIN)/qa bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .cache test-output
