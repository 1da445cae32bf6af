# Everything runs from a virtualenv in .venv, created on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install scan test lint bench bench-index bench-signing bench-formats corpus golden clean

$(STAMP): pyproject.toml setup.py dupdetect/_speedups.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install dupdetect with its dev dependencies

scan: $(STAMP)  ## scan the bundled fixture articles
	$(BIN)/dupdetect scan fixtures/articles

test: $(STAMP)  ## run the test suite
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check dupdetect tests scripts bench

bench: $(STAMP)  ## time dupdetect vs naive datasketch on 10k synthetic docs; appends BENCHMARKS.md
	$(BIN)/python bench/bench.py

bench-index: $(STAMP)  ## persistent index: add vs scan, bytes per article, query latency, Redis; appends BENCHMARKS.md
	$(BIN)/python bench/bench_index.py --out BENCHMARKS.md

bench-signing: $(STAMP)  ## the hashing/signing candidates side by side (rensa only if installed); appends BENCHMARKS.md
	$(BIN)/python bench/bench_signing.py --out BENCHMARKS.md

bench-formats: $(STAMP)  ## same 1,000 articles as plain text and as every input format: clusters + reading cost; appends BENCHMARKS.md
	$(BIN)/python bench/bench_formats.py

corpus: $(STAMP)  ## write the 10k-document synthetic corpus to data/corpus-10k (once)
	$(BIN)/python scripts/make_corpus.py data/corpus-10k --docs 10000

golden: $(STAMP)  ## regenerate the golden output files after reviewing a change
	$(BIN)/pytest tests/test_golden.py --update-golden

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
