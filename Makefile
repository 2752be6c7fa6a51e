# GlobMed release kit. Two commands matter: `make demo` and `make test`.
# Each creates .venv and installs what it needs on first use (CPU torch pinned by constraints.txt).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt
export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_DISABLE_TELEMETRY := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: demo test lint bench bench-build bench-translate bench-bench bench-train bench-space bench-gpu-smoke clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip setuptools wheel

# One stamp per set of extras, remade when setup.cfg or the constraints change.
$(VENV)/.demo-installed: setup.cfg constraints.txt | $(PY)
	$(PIP) -e ".[translate,bench,train,space,serve]" --config-settings editable_mode=compat
	touch $@

$(VENV)/.test-installed: setup.cfg constraints.txt | $(PY)
	$(PIP) -e ".[translate,bench,train,space,serve,dev]" --config-settings editable_mode=compat
	touch $(VENV)/.demo-installed $@

demo: $(VENV)/.demo-installed
	HF_HUB_OFFLINE=1 $(VENV)/bin/globmed demo

test: lint
	HF_HUB_OFFLINE=1 $(PY) -m pytest

# ruff, and the layers contract in pyproject.toml (kernel < parts < commands) checked by import-linter
lint: $(VENV)/.test-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

bench: bench-build bench-translate bench-bench bench-train bench-space

bench-build: $(VENV)/.test-installed
	HF_HUB_OFFLINE=1 $(PY) bench/bench_build.py

bench-translate: $(VENV)/.test-installed
	HF_HUB_OFFLINE=1 $(PY) bench/bench_translate.py

bench-bench: $(VENV)/.test-installed
	HF_HUB_OFFLINE=1 $(PY) bench/bench_benchmark.py

bench-train: $(VENV)/.test-installed
	HF_HUB_OFFLINE=1 $(PY) bench/bench_train.py

bench-space: $(VENV)/.test-installed
	HF_HUB_OFFLINE=1 $(PY) bench/bench_space.py

# Not part of `bench`: needs one CUDA GPU (bench/gpu_smoke.sh --cpu checks it on tiny shapes)
bench-gpu-smoke: $(VENV)/.test-installed
	PYTHON=$(PY) bench/gpu_smoke.sh

clean:
	rm -rf $(VENV) release bench/out .pytest_cache
