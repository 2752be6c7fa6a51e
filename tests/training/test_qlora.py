"""QLoRA on CPU with bitsandbytes: train the tiny QLoRA recipe, kill it, resume at the right step, merge.

The merged model is the full-precision base plus the adapter; the adapter was trained on the nf4-quantised base,
so the merged logits differ from the adapter-on-quantised logits by what nf4 rounding does to the base, and by
nothing else. The tests measure that rounding on the base alone and hold the merged model to it.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.cpu_training import REPO, subprocess_env

from globmed.errors import GlobMedError
from training.config import load_recipe

RECIPE = "globmed-llm-tiny/sft/config_qlora.yaml"
MAX_STEPS = 6
# A tiny 4-bit model (2 layers, hidden 64: ~100k parameters), 48 mixture rows, checkpoints every 2 steps.
QFAST = [
    "languages=en,sw,zh,yo", "tiny_hidden_size=64", "tiny_num_layers=2", "tiny_intermediate_size=128",
    "tiny_vocab_size=512",
    "mixture_rows=48", "max_eval_rows=12", "max_length=256", "per_device_train_batch_size=2", "eval_strategy=no",
    "logging_steps=1", "save_strategy=steps", "save_steps=2", "save_total_limit=null", f"max_steps={MAX_STEPS}",
    "learning_rate=5e-3",
]


def checkpoint_steps(output_dir: Path) -> dict[int, bool]:
    """step -> whether that checkpoint's trainer_state.json is readable (written last, so: complete)."""
    steps = {}
    for folder in output_dir.glob("checkpoint-*"):
        try:
            json.loads((folder / "trainer_state.json").read_text())
            steps[int(folder.name.split("-")[1])] = True
        except (OSError, ValueError):
            steps[int(folder.name.split("-")[1])] = False
    return steps


@pytest.fixture(scope="module")
def qlora_run(tiny_dataset_dir, tmp_path_factory):
    """`globmed train` on the QLoRA recipe in a subprocess, SIGKILLed once a checkpoint is complete, then resumed."""
    from training.sft import run_training

    root = tmp_path_factory.mktemp("release-qlora")
    output_dir = root / "work" / "train" / "globmed-llm-tiny"
    log_path = root.parent / "killed-run.log"
    command = [sys.executable, "-m", "globmed_kit.cli", "train", "--recipe", RECIPE, "--out", str(root),
               "--dataset", str(tiny_dataset_dir), *[x for item in QFAST for x in ("--set", item)]]
    with open(log_path, "w") as log:
        proc = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=subprocess_env())
    deadline = time.monotonic() + 300
    try:
        while not any(checkpoint_steps(output_dir).values()):
            if proc.poll() is not None:
                pytest.fail(f"the run ended before its first checkpoint: {log_path.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"no checkpoint after 300 s: {log_path.read_text()[-3000:]}")
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    killed_at = max(step for step, complete in checkpoint_steps(output_dir).items() if complete)
    state = {"returncode": proc.returncode, "killed_at": killed_at, "log": log_path.read_text(),
             "final_dir_after_kill": (root / "globmed-llm-tiny").exists()}

    recipe = load_recipe(RECIPE, QFAST)
    result = run_training(recipe, root, dataset=tiny_dataset_dir, resume=True)
    return {"root": root, "recipe": recipe, "result": result, **state}


def test_qlora_runs_on_cpu_with_a_warning_and_was_really_killed(qlora_run):
    import torch

    log = qlora_run["log"]
    if not torch.cuda.is_available():
        assert "QLoRA without a CUDA GPU" in log and "slow" in log
    assert "needs a CUDA GPU" not in log and "error" not in log.lower()
    assert "kernels-community" not in log  # bitsandbytes' import-time warning about a Hub kernel is muted
    assert qlora_run["returncode"] == -signal.SIGKILL
    assert not qlora_run["final_dir_after_kill"]  # interrupted mid-training: nothing was merged yet
    assert 2 <= qlora_run["killed_at"] < MAX_STEPS


def test_killed_run_resumes_at_its_last_checkpoint(qlora_run):
    result = qlora_run["result"]
    assert result.start_step == qlora_run["killed_at"] and result.global_step == MAX_STEPS
    state = json.loads((result.output_dir / "trainer_state.json").read_text())
    steps = [entry["step"] for entry in state["log_history"] if "loss" in entry]
    # logging_steps=1: steps up to the checkpoint were logged before the kill, the rest after; none twice
    assert steps == list(range(1, MAX_STEPS + 1))
    info = json.loads((result.model_dir / "globmed_training.json").read_text())
    assert info["method"] == "qlora" and info["hyperparameters"]["global_step"] == MAX_STEPS
    assert info["hyperparameters"]["bnb_4bit_quant_type"] == "nf4"
    assert info["hyperparameters"]["bnb_4bit_use_double_quant"] is True


def test_merged_model_holds_no_4bit_tensors(qlora_run):
    from safetensors import safe_open

    def tensors(folder: Path) -> dict[str, tuple[str, tuple[int, ...]]]:
        found = {}
        for file in folder.glob("*.safetensors"):
            with safe_open(str(file), "pt") as handle:
                for key in handle.keys():  # noqa: SIM118 (safe_open is not iterable)
                    piece = handle.get_slice(key)
                    found[key] = (piece.get_dtype(), tuple(piece.get_shape()))
        return found

    merged_dir = qlora_run["result"].model_dir
    merged = tensors(merged_dir)
    base = tensors(qlora_run["result"].output_dir / "base_model")
    # 4-bit storage would show as uint8 weights of shape [n/2, 1] plus absmax / quant_map / quant_state entries
    assert merged == base, {k: (merged.get(k), base.get(k)) for k in set(merged) ^ set(base) or merged}
    assert {dtype for dtype, _ in merged.values()} == {"F32"}
    config = json.loads((merged_dir / "config.json").read_text())
    assert "quantization_config" not in config


def _prompts(dataset_dir: Path, tokenizer, count: int = 20) -> list[list[int]]:
    from globmed.data import load_split
    from training.formatting import to_messages

    rows = load_split(dataset_dir, "test")
    rows = rows.shuffle(seed=0).select(range(count))
    prompts = []
    for row in rows:
        messages = to_messages(row)[:-1]  # system + user; the model answers
        prompts.append(tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True,
                                                     return_dict=True)["input_ids"])
    return prompts


def _logits(model, prompts: list[list[int]]) -> list:
    import torch

    model.eval()
    with torch.no_grad():
        return [model(input_ids=torch.tensor([ids])).logits[0].float() for ids in prompts]


def test_merged_logits_match_the_adapter_on_the_quantised_base(qlora_run, tiny_dataset_dir):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from training.model import four_bit_layers, load_model

    result, recipe = qlora_run["result"], qlora_run["recipe"]
    base_dir = result.output_dir / "base_model"
    adapter_dir = result.output_dir / "adapter"
    tokenizer = AutoTokenizer.from_pretrained(result.model_dir)
    prompts = _prompts(tiny_dataset_dir, tokenizer)
    assert len(prompts) == 20

    merged = _logits(AutoModelForCausalLM.from_pretrained(result.model_dir), prompts)
    quantised_base = load_model(str(base_dir), recipe)  # exactly as training loaded it: nf4, double quant
    assert four_bit_layers(quantised_base)
    base_q = _logits(quantised_base, prompts)
    on_quantised = _logits(PeftModel.from_pretrained(quantised_base, str(adapter_dir)), prompts)
    base_fp = _logits(AutoModelForCausalLM.from_pretrained(base_dir), prompts)

    def gap(a, b) -> float:
        return max((x - y).abs().max().item() for x, y in zip(a, b, strict=True))

    # Tolerance. The merged model is W + BA with W in fp32; the adapter on the quantised base computes
    # nf4(W) + BA. Their logits differ by what nf4 rounding of W does to the network, which the base alone shows:
    # nf4_effect = max |logits(W) - logits(nf4(W))| over the same 20 prompts. The adapter changes the activations
    # the rounding acts on, not its size, so the merged model must stay within 2 x nf4_effect (+ 1e-4 for fp32
    # summation order). A wrong merge (adapter dropped, scaled twice, or the untrained embedding copy kept) moves
    # the logits by the training change itself, which the last assertion shows is several times larger.
    nf4_effect = gap(base_fp, base_q)
    tolerance = 2 * nf4_effect + 1e-4
    merged_vs_quantised = gap(merged, on_quantised)
    training_change = gap(merged, base_fp)
    assert nf4_effect > 0  # the quantised base really is quantised
    assert merged_vs_quantised <= tolerance, (merged_vs_quantised, nf4_effect)
    assert training_change > 3 * tolerance, (training_change, tolerance)
    # and the greedy next token agrees wherever the merged model is not near a tie
    agree = sum(int(m[-1].argmax() == q[-1].argmax()) for m, q in zip(merged, on_quantised, strict=True))
    assert agree >= 18, agree
    assert torch.isfinite(torch.stack([m[-1] for m in merged])).all()


def test_merging_into_4bit_layers_is_refused(qlora_run, tmp_path):
    from training.export import merge_adapter
    from training.model import check_full_precision_base, load_model

    result, recipe = qlora_run["result"], qlora_run["recipe"]
    stored_4bit = tmp_path / "base-4bit"
    load_model(str(result.output_dir / "base_model"), recipe).save_pretrained(stored_4bit)  # a quantised checkpoint
    with pytest.raises(GlobMedError, match=r"stored quantised .*4-bit layers"):
        merge_adapter(str(stored_4bit), result.output_dir / "adapter", recipe)
    with pytest.raises(GlobMedError, match=r"stored quantised .*bitsandbytes quantization_config"):
        check_full_precision_base(str(stored_4bit), recipe)  # run_training says so before training on it


def test_eval_forward_keeps_4bit_layers_differentiable_on_cpu():
    """bitsandbytes repacks a CPU 4-bit weight at its first no-grad eval forward (on AVX512-BF16 CPUs) into a
    layout without autograd, after which the input gradient is silently missing; the loader switches that off."""
    import bitsandbytes as bnb
    import torch
    from bitsandbytes.functional import dequantize_4bit

    from training.model import keep_cpu_4bit_differentiable

    torch.manual_seed(0)
    layer = bnb.nn.Linear4bit(128, 64, bias=False, compute_dtype=torch.float32, quant_type="nf4")
    layer.weight = bnb.nn.Params4bit(torch.randn(64, 128) * 0.05, requires_grad=False, quant_type="nf4")
    layer.weight = layer.weight._quantize("cpu")
    assert keep_cpu_4bit_differentiable(torch.nn.Sequential(layer)) == 1
    x = torch.randn(3, 128)
    layer.eval()
    with torch.no_grad():
        layer(x)  # the evaluation before training
    layer.train()
    x.requires_grad_(True)
    layer(x).sum().backward()
    weight = dequantize_4bit(layer.weight.data, layer.weight.quant_state)
    assert x.grad is not None
    assert torch.allclose(x.grad, weight.sum(0).expand(3, -1), atol=1e-4)


def test_missing_bitsandbytes_names_the_extra(monkeypatch):
    from training.model import check_quantization_possible

    monkeypatch.setitem(sys.modules, "bitsandbytes", None)  # import bitsandbytes -> ImportError
    with pytest.raises(GlobMedError, match=r"globmed\[train\]"):
        check_quantization_possible(load_recipe(RECIPE))
