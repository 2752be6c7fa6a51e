#!/usr/bin/env bash
# GPU smoke test and step-time benchmark of the training engines: one CUDA GPU, no network, at most 8 minutes.
# Random-initialised Qwen3-1.7B/4B/8B shapes; per size 20 QLoRA steps + merge, 10 full fine-tuning steps with each
# recipe's settings, and a vLLM bench of ~200 sample items when vLLM is installed. Prints the README's GPU table
# (step time, tokens/s, peak GPU memory, fits in 24/40/80 GB); details in bench/gpu_smoke.py.
#   bench/gpu_smoke.sh                     # on the GPU machine (make bench-gpu-smoke)
#   bench/gpu_smoke.sh --cpu               # tiny stand-ins on CPU: checks the script anywhere
#   bench/gpu_smoke.sh --sizes 8b --keep   # options: bench/gpu_smoke.py --help
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1
export TOKENIZERS_PARALLELISM=false GRADIO_ANALYTICS_ENABLED=False
# the script keeps its own 450 s budget; this is the hard stop at 8 minutes
exec timeout --signal=INT --kill-after=20 "${GPU_SMOKE_TIMEOUT_S:-480}" "$PY" bench/gpu_smoke.py "$@"
