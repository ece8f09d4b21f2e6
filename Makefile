# Two commands for a fresh machine:
#   make demo   sets up .venv and runs the main job
#   make test   sets up .venv and runs the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= out
PORT   ?= 8080

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup demo test clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	# torch first, from the pinned CPU wheel: an unpinned torch pulls a CUDA build of several GB.
	$(BIN)/pip install -q -c constraints.txt torch==2.13.0
	$(BIN)/pip install -q -c constraints.txt -e '.[all]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/stance demo --out $(OUT)/demo --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) $(OUT)
