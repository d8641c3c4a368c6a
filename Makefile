# ridealong — the verbs. `make run` and `make test` set up what they need on first use.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install run test test-fast lint bench samples messages clean

install: $(STAMP)

# torch first and pinned, so pip takes the CPU build on this disk instead of a multi-GB CUDA one;
# openai-whisper and resemblyzer without their broken requirements (triton, the webrtcvad sdist).
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q -U pip
	$(PIP) install -q --no-compile torch==2.13.0
	$(PIP) install -q --no-compile -c constraints.txt -e '.[dev,openai-whisper,speakers,scale]'
	$(PIP) install -q --no-compile --no-deps -c constraints.txt openai-whisper==20250625 resemblyzer==0.1.4
	$(BIN)/python -c "import torch, sys; v = torch.__version__; sys.exit(0 if v.endswith('+cpu') else 'torch is ' + v + ', expected the CPU build')"
	! $(PIP) show -q triton 2>/dev/null
	@# Byte-compile once (about 40 s): where PYTHONDONTWRITEBYTECODE is set, every process
	@# would otherwise recompile scikit-learn, scipy and torch on import (5 s each time).
	$(BIN)/python -m compileall -q -j 0 $$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') > /dev/null || true
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/ridealong serve --demo --host $(HOST) --port $(PORT)

# Everything on the embedded setup, then the service's tests again on the scaled one
# (PostgreSQL and Redis, started by the tests from Debian's postgresql and redis-server).
test: $(STAMP)
	$(BIN)/python -m pytest
	RIDEALONG_TEST_SETUP=scaled $(BIN)/python -m pytest tests/api

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

# The web pages' texts: new ones into the Dutch catalogue (msgstr empty until translated;
# the tests fail until every text has its Dutch).
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --sort-output --omit-header -o $(VENV)/messages.pot . > /dev/null
	$(BIN)/pybabel update -i $(VENV)/messages.pot -d api/locale -D messages -w 100 --ignore-obsolete --ignore-pot-creation-date

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.imports
	$(BIN)/python -m bench.engines
	$(BIN)/python -m bench.formats
	$(BIN)/python -m bench.coverage
	$(BIN)/python -m bench.spelling
	$(BIN)/python -m bench.speakers --whisper
	$(BIN)/python -m bench.terms_eval
	$(BIN)/python -m bench.questions_eval
	$(BIN)/python -m bench.analysis_eval
	$(BIN)/python -m bench.synonyms_eval
	$(BIN)/python -m bench.report_scale  # 10,000 generated recordings: about 10 minutes
	$(BIN)/python -m bench.long
	$(BIN)/python -m bench.load  # 200 concurrent uploads, embedded: about 11 minutes
	$(BIN)/python -m bench.load --scaled  # the same on PostgreSQL, Redis and 2 workers

samples: $(STAMP)
	$(BIN)/python -m samples.voice

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
