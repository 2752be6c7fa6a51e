"""CPU training on the tiny model: LoRA and full fine-tuning lower the loss, resume, merged model, errors."""

from __future__ import annotations

import json
import shutil

import pytest
from support.file_modes import unlike_plain

from globmed.errors import GlobMedError
from globmed_kit.cli import main
from training.config import load_recipe
from training.sft import run_training

# Small and quick: a 2-layer model, 96 mixture rows, a few optimiser steps.
FAST = [
    "tiny_hidden_size=64", "tiny_num_layers=2", "tiny_intermediate_size=128", "tiny_vocab_size=512",
    "mixture_rows=96", "max_eval_rows=24", "max_length=256", "per_device_train_batch_size=4", "eval_strategy=no",
    "logging_steps=2", "save_strategy=steps", "save_steps=2", "save_total_limit=null",
]


def fixed_batch_loss(model_dir, records) -> float:
    """Assistant-only loss of a model on a fixed batch of formatted records (what SFT optimises)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from training.formatting import to_messages

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    losses = []
    for record in records:
        out = tokenizer.apply_chat_template(
            to_messages(record), tokenize=True, return_dict=True, return_assistant_tokens_mask=True
        )
        ids = torch.tensor([out["input_ids"]])
        pairs = zip(out["input_ids"], out["assistant_masks"], strict=True)
        labels = torch.tensor([[t if m else -100 for t, m in pairs]])
        with torch.no_grad():
            losses.append(model(input_ids=ids, labels=labels).loss.item())
    return sum(losses) / len(losses)


@pytest.fixture(scope="module")
def batch_records(tiny_dataset_dir):
    from globmed.data import load_split

    rows = []
    for lang, task in (("en", "mcqa"), ("sw", "nli"), ("zh", "lfqa"), ("yo", "mcqa")):
        rows.extend(load_split(tiny_dataset_dir, "train", language=lang, task=task).select(range(2)))
    return rows


@pytest.fixture(scope="module")
def lora_run(tiny_dataset_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("release-lora")
    recipe = load_recipe("globmed-llm-tiny/sft/config_lora.yaml", [*FAST, "max_steps=8", "learning_rate=5e-3"])
    seen = []
    result = run_training(recipe, root, dataset=tiny_dataset_dir,
                          after_save=lambda path: seen.append(sorted(p.name for p in path.iterdir())))
    result.after_save_calls = seen
    return result


def test_after_save_hook_sees_the_complete_folder(lora_run):
    assert len(lora_run.after_save_calls) == 1
    assert {"globmed_training.json", "model.safetensors", "config.json"} <= set(lora_run.after_save_calls[0])


def test_lora_lowers_loss_and_merges(lora_run, batch_records):
    base = lora_run.output_dir / "base_model"
    before = fixed_batch_loss(base, batch_records)
    after = fixed_batch_loss(lora_run.model_dir, batch_records)
    assert after < before - 0.2, (before, after)
    assert lora_run.global_step == 8 and lora_run.start_step == 0
    assert lora_run.eval_loss < lora_run.initial_eval_loss
    assert (lora_run.output_dir / "adapter" / "adapter_config.json").is_file()


def test_merged_model_loads_and_generates(lora_run):
    from safetensors import safe_open
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model_dir = lora_run.model_dir
    assert model_dir.name == "globmed-llm-tiny" and model_dir.parent == lora_run.output_dir.parents[2]
    with safe_open(str(model_dir / "model.safetensors"), "pt") as handle:
        keys = list(handle.keys())
    assert keys and not any("lora" in k or "modules_to_save" in k or "original_module" in k for k in keys)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Swali: Ni dawa gani?"}], add_generation_prompt=True, return_tensors="pt",
        return_dict=True,
    )
    out = model.generate(**prompt, max_new_tokens=6, do_sample=False)
    assert out.shape[1] > prompt["input_ids"].shape[1]


def test_every_file_of_the_merged_model_follows_the_umask(lora_run):
    """safetensors wrote model.safetensors 0600 beside 0644 files; now every file is as a plain write makes it."""
    assert (lora_run.model_dir / "model.safetensors").is_file()
    assert unlike_plain(lora_run.model_dir) == {}


def test_training_json_records_how_the_model_was_made(lora_run, tiny_dataset_dir):
    info = json.loads((lora_run.model_dir / "globmed_training.json").read_text())
    assert info["model_name"] == "globmed-llm-tiny" and info["size"] == "tiny" and info["method"] == "lora"
    assert info["recipe"].endswith("globmed-llm-tiny/sft/config_lora.yaml")
    assert info["dataset"]["path"] == str(tiny_dataset_dir)
    assert info["train_rows"] == 96 == sum(v["rows"] for v in info["mixture"].values())
    assert set(info["mixture"]) == set(info["languages"]) and len(info["languages"]) == 12
    assert sum(v["weight"] for v in info["mixture"].values()) == pytest.approx(1.0, abs=1e-4)
    assert info["mixture"]["sw"]["rows"] > info["mixture"]["en"]["rows"]  # low-resource upsampled
    assert info["hyperparameters"]["learning_rate"] == pytest.approx(5e-3)
    assert info["hyperparameters"]["lora_r"] == 16 and info["hyperparameters"]["global_step"] == 8
    assert set(info["versions"]) == {"transformers", "trl", "peft", "torch"}
    assert info["train_loss"] > 0 and info["eval_loss"] < info["initial_eval_loss"]
    for key in ("base_model", "license", "date"):
        assert info[key]
    assert info["toy"] is True and info["train_runtime_s"] > 0  # the tiny recipe: its card carries the toy banner


def test_full_fine_tuning_lowers_loss_and_resumes_at_the_right_step(tiny_dataset_dir, tmp_path, batch_records):
    overrides = [*FAST, "max_steps=4", "learning_rate=3e-3"]
    recipe = load_recipe("globmed-llm-tiny/sft/config_full.yaml", overrides)
    first = run_training(recipe, tmp_path, dataset=tiny_dataset_dir)
    assert first.global_step == 4
    assert fixed_batch_loss(first.model_dir, batch_records) < fixed_batch_loss(first.output_dir / "base_model",
                                                                                batch_records) - 0.2
    info = json.loads((first.model_dir / "globmed_training.json").read_text())
    assert info["method"] == "full" and "lora_r" not in info["hyperparameters"]

    # interrupted after step 2: the last checkpoint is 2, so --resume continues with steps 3 and 4
    shutil.rmtree(first.output_dir / "checkpoint-4")
    code = main(["train", "--recipe", "globmed-llm-tiny/sft/config_full.yaml", "--out", str(tmp_path),
                 "--dataset", str(tiny_dataset_dir), "--resume", *[x for o in overrides for x in ("--set", o)]])
    assert code == 0
    state = json.loads((first.output_dir / "checkpoint-4" / "trainer_state.json").read_text())
    assert state["global_step"] == 4
    steps = [entry["step"] for entry in state["log_history"] if "loss" in entry]
    assert steps == [2, 4]  # step 2 logged before the interruption, step 4 after resuming (not restarted at 1)
    resumed = recipe_result = json.loads((first.model_dir / "globmed_training.json").read_text())
    assert resumed["hyperparameters"]["global_step"] == 4 and recipe_result["method"] == "full"
    # `globmed train` (unlike bare run_training above) writes the model card into the merged folder
    from huggingface_hub import ModelCard

    card = ModelCard.load(first.model_dir / "README.md")
    assert card.data.library_name == "transformers" and "sw" in card.data.language
    assert unlike_plain(first.model_dir) == {}  # the card and the copied weights included
    assert "not medical advice" in card.text.lower() or "clinical" in card.text.lower()
    top = card.text.split("# globmed-llm-tiny", 1)[1].lstrip()
    assert top.startswith("> **Toy model.** This is a tiny model (2 layers")  # FAST: tiny_num_layers=2
    assert "toy" in card.data.tags and "trained for 4 steps" in card.text


def test_resume_without_checkpoint_is_an_error(tiny_dataset_dir, tmp_path):
    recipe = load_recipe("globmed-llm-tiny/sft/config_lora.yaml", FAST)
    with pytest.raises(GlobMedError, match="--resume: no checkpoint"):
        run_training(recipe, tmp_path, dataset=tiny_dataset_dir, resume=True)


def test_qlora_without_cuda_names_the_way_out(tiny_dataset_dir, tmp_path, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA present: 4-bit is possible here")
    code = main(["train", "--recipe", "globmed-llm-1.7b/sft/config_qlora.yaml", "--out", str(tmp_path),
                 "--dataset", str(tiny_dataset_dir)])
    err = capsys.readouterr().err
    assert code == 2 and "needs a CUDA GPU" in err and "--set load_in_4bit=false" in err and "config_full.yaml" in err


def test_push_fails_fast_offline_or_without_token(tiny_dataset_dir, tmp_path, monkeypatch):
    recipe = load_recipe("globmed-llm-tiny/sft/config_lora.yaml", FAST)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(GlobMedError, match="HF_HUB_OFFLINE is set"):
        run_training(recipe, tmp_path, dataset=tiny_dataset_dir, push_to_hub="org/globmed-llm-tiny")
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    with pytest.raises(GlobMedError, match="no Hub token; set HF_TOKEN"):
        run_training(recipe, tmp_path, dataset=tiny_dataset_dir, push_to_hub="org/globmed-llm-tiny")
    with pytest.raises(GlobMedError, match="expected ORG/NAME"):
        run_training(recipe, tmp_path, dataset=tiny_dataset_dir, push_to_hub="globmed-llm-tiny")
    assert not (tmp_path / "work").exists()  # nothing trained or written


def test_missing_dataset_and_gpu_recipe_on_cpu_errors(tmp_path, capsys, tiny_dataset_dir):
    code = main(["train", "--recipe", "globmed-llm-tiny/sft/config_lora.yaml", "--out", str(tmp_path)])
    assert code == 2 and "no such folder" in capsys.readouterr().err
    import torch

    if not torch.cuda.is_available():
        code = main(["train", "--recipe", "globmed-llm-1.7b/sft/config_full.yaml", "--out", str(tmp_path),
                     "--dataset", str(tiny_dataset_dir), "--set", "languages=en", "--set", "tasks=mcqa"])
        err = capsys.readouterr().err
        assert code == 2 and "bf16" in err and "globmed-llm-tiny" in err


def test_help_lists_flags(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--recipe", "--set", "--out", "--dataset", "--resume", "--push-to-hub"):
        assert flag in out
