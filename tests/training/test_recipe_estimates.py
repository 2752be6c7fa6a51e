"""Each GPU recipe's header states its GPU memory and throughput, computed with training/README.md's formula.

The formula is implemented here from the README's text, independently of the headers: when a recipe's batch,
length or LoRA rank changes, its header must be recomputed. The shapes are the published Qwen3 configs
(bench/bench_train.py); the numbers stay estimates until bench/gpu_smoke.sh measures them on a GPU.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))
from bench_train import QWEN3_COMMON, QWEN3_SHAPES  # noqa: E402

GIB = 2**30
SIZES = {"1.7b": "Qwen3-1.7B", "4b": "Qwen3-4B", "8b": "Qwen3-8B"}
PEAK = {"A100": 312e12, "H100": 989e12}  # dense bf16 FLOP/s
MFU = {"full": 0.40, "qlora": 0.25}
RECIPES = sorted((REPO / "training" / "recipes").glob("globmed-llm-[0-9]*/sft/config_*.yaml"))


def estimate(size: str, method: str, recipe: dict) -> dict:
    shape = {**QWEN3_COMMON, **QWEN3_SHAPES[SIZES[size]]}
    h, i, n, v = shape["hidden_size"], shape["intermediate_size"], shape["num_hidden_layers"], shape["vocab_size"]
    q = shape["num_attention_heads"] * shape["head_dim"]
    kv = shape["num_key_value_heads"] * shape["head_dim"]
    n_linear = n * (2 * h * q + 2 * h * kv + 3 * h * i)
    n_embed = v * h * (1 if shape["tie_word_embeddings"] else 2)
    t = recipe["per_device_train_batch_size"] * recipe["max_length"]
    activations = 2 * n * t * h + 4 * t * (5 * h + 2 * q + 2 * kv + 4 * i) + t * t
    flops = (8 if method == "full" else 6) * (n_linear + v * h) + 16 * n * q * t
    speed = {gpu: MFU[method] * peak / flops for gpu, peak in PEAK.items()}
    if method == "qlora":
        n_lora = recipe["lora_r"] * n * (7 * h + 2 * q + 2 * kv + 3 * i)
        memory = {"one": (0.516 * n_linear + 2 * n_embed + 6 * n_lora + activations) / GIB + 2}
    else:
        memory = {"one": (8 * (n_linear + n_embed) + activations) / GIB + 2}
        for engine, per_param in (("FSDP2", 8), ("ZeRO-3", 16)):
            memory[engine] = lambda g, b=per_param: (b * (n_linear + n_embed) / g + activations) / GIB + 2
    return {"memory": memory, "speed": speed}


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: f"{p.parents[1].name}/{p.name}")
def test_gpu_recipe_header_states_its_estimated_memory_and_speed(path: Path):
    size = path.parents[1].name.removeprefix("globmed-llm-")
    method = path.stem.removeprefix("config_")
    text = path.read_text(encoding="utf-8")
    header = " ".join(line.lstrip("# ").strip() for line in text.split("\n\n", 1)[0].splitlines())
    expected = estimate(size, method, yaml.safe_load(text))

    one = re.search(r"GPU memory, estimated .*?: ([\d.]+) GiB on one GPU", header)
    assert one, header
    assert float(one.group(1)) == pytest.approx(expected["memory"]["one"], abs=0.051)
    for engine in ("FSDP2", "ZeRO-3"):
        for found, gpus in re.findall(rf"([\d.]+) GiB per GPU with {engine} over (\d+) GPUs", header):
            assert float(found) == pytest.approx(expected["memory"][engine](int(gpus)), abs=0.051), (engine, gpus)
    if method == "full" and size != "1.7b":
        assert "FSDP2 over" in header and "ZeRO-3 over" in header  # the launchers their README names
    speed = re.search(r"~([\d,]+) tokens/s on an A100, ~([\d,]+) on an H100", header)
    assert speed and "estimate" in header.lower(), header
    for found, gpu in zip(speed.groups(), ("A100", "H100"), strict=True):
        assert int(found.replace(",", "")) == pytest.approx(expected["speed"][gpu], rel=0.01), gpu
