"""After training: save the adapter, merge it into full safetensors weights, record how the model was made,
and push the merged folder to the Hub when asked.

The merged folder (ROOT/globmed-llm-<size>) is what users load with `AutoModelForCausalLM.from_pretrained`.
`globmed_training.json` beside the weights is the contract with the model-card writer (model_cards), which
reads it; this module does not write the card. The folder is written to a temporary sibling and renamed.
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
import shutil
from pathlib import Path
from typing import Any

from globmed.atomic import atomic_write_json
from globmed.errors import GlobMedError, require_online
from globmed.outputs import MARKER, atomic_dir
from globmed.provenance import library_versions, manifest_sha256
from training.config import Recipe

logger = logging.getLogger(__name__)

TRAINING_JSON = "globmed_training.json"
TRAINING_LIBRARIES = ("transformers", "trl", "peft", "torch")
HYPERPARAMETERS = (
    "learning_rate", "num_train_epochs", "max_steps", "per_device_train_batch_size", "gradient_accumulation_steps",
    "max_length", "packing", "packing_strategy", "lr_scheduler_type", "warmup_steps",
    "weight_decay", "optim", "seed", "bf16", "assistant_only_loss",
)


def _display_path(path: str) -> str:
    """A shipped recipe as `training/recipes/...` (portable), any other file as given."""
    repo = Path(__file__).resolve().parents[1]
    try:
        return str(Path(path).resolve().relative_to(repo))
    except ValueError:
        return path


def training_record(trainer, recipe: Recipe, base: str, dataset: str, data, metrics: dict[str, Any]) -> dict[str, Any]:
    """The `globmed_training.json` mapping (keys documented in training/README.md)."""
    args = trainer.args
    hyper = {key: getattr(args, key) for key in HYPERPARAMETERS if hasattr(args, key)}
    hyper["global_step"] = trainer.state.global_step
    hyper["world_size"] = args.world_size
    model = recipe.model
    if model.use_peft:
        hyper.update({"lora_r": model.lora_r, "lora_alpha": model.lora_alpha, "lora_dropout": model.lora_dropout,
                      "lora_target_modules": model.lora_target_modules})
    if model.load_in_4bit:  # trl.get_quantization_config computes in the model dtype
        hyper.update({"bnb_4bit_quant_type": model.bnb_4bit_quant_type,
                      "bnb_4bit_use_double_quant": model.use_bnb_nested_quant, "bnb_4bit_compute_dtype": model.dtype})
    return {
        "model_name": recipe.globmed.model_name,
        "size": recipe.globmed.model_size,
        # the Hub id, or for the tiny recipe the local folder of the base it built (the card tells the two apart)
        "base_model": model.model_name_or_path if not recipe.is_tiny else str(base),
        "method": recipe.method,
        "recipe": _display_path(recipe.path),
        "hyperparameters": hyper,
        "dataset": {"path": str(dataset), "manifest_sha256": manifest_sha256(dataset)},
        "mixture": data.plan.as_json(),
        "languages": data.languages,
        "train_rows": data.plan.total_rows,
        "train_loss": metrics.get("train_loss"),
        "eval_loss": metrics.get("eval_loss"),
        "initial_eval_loss": metrics.get("initial_eval_loss"),
        "train_runtime_s": metrics.get("train_runtime"),
        "toy": recipe.is_tiny,  # a random-weight CPU model: its card says it measures the pipeline, not medicine
        "versions": library_versions(TRAINING_LIBRARIES),
        "license": recipe.globmed.license,
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d"),
    }


def save_final_model(trainer, recipe: Recipe, base: str, final_dir: Path, work: Path, dataset: str, data,
                     metrics: dict[str, Any], overwrite: bool = False) -> None:
    """Adapter to WORK/adapter, merged (or fully fine-tuned) weights + tokenizer + JSON to `final_dir`."""
    if not recipe.model.use_peft:
        staged = work / "final"
        trainer.save_model(str(staged))  # collective under FSDP / ZeRO-3: gathers the shards, main process writes
        trainer.accelerator.wait_for_everyone()
        if trainer.is_world_process_zero():
            with atomic_dir(final_dir, "train", overwrite) as tmp:
                shutil.copytree(staged, tmp, dirs_exist_ok=True)
                for leftover in ("training_args.bin",):
                    (tmp / leftover).unlink(missing_ok=True)
                trainer.processing_class.save_pretrained(tmp)
                atomic_write_json(tmp / TRAINING_JSON, training_record(trainer, recipe, base, dataset, data, metrics))
            logger.info("fine-tuned model written to %s", final_dir)
        return
    adapter_dir = work / "adapter"
    trainer.save_model(str(adapter_dir))
    trainer.accelerator.wait_for_everyone()
    if not trainer.is_world_process_zero():
        return
    logger.info("merging the adapter %s into %s", adapter_dir, base)
    merged = merge_adapter(base, adapter_dir, recipe)
    with atomic_dir(final_dir, "train", overwrite) as tmp:
        merged.save_pretrained(tmp, safe_serialization=True)
        trainer.processing_class.save_pretrained(tmp)
        atomic_write_json(tmp / TRAINING_JSON, training_record(trainer, recipe, base, dataset, data, metrics))
    logger.info("merged model written to %s", final_dir)


def merge_adapter(base: str, adapter_dir: Path, recipe: Recipe):
    """Reload the base unquantised (so QLoRA merges into bf16 weights, not 4-bit ones) and fold the adapter in."""
    from peft import PeftModel

    from training.model import load_model

    model = load_model(base, recipe, for_training=False)
    merged = PeftModel.from_pretrained(model, str(adapter_dir)).merge_and_unload()
    merged.config.use_cache = True
    return merged


def hub_token() -> str | None:
    """The Hub token from the environment only (HF_TOKEN or HUGGING_FACE_HUB_TOKEN); never logged."""
    return os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN") or None


def check_push_possible(repo_id: str) -> None:
    """Fail before training when the push at the end cannot happen."""
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise GlobMedError(f"--push-to-hub {repo_id!r}: expected ORG/NAME")
    require_online(f"--push-to-hub {repo_id}", "unset HF_HUB_OFFLINE, or drop --push-to-hub and push later")
    if not hub_token():
        raise GlobMedError(
            f"--push-to-hub {repo_id}: no Hub token; set HF_TOKEN to a token with write access "
            "(https://huggingface.co/settings/tokens), or drop --push-to-hub"
        )


def push_model(folder: Path, repo_id: str) -> str:
    from huggingface_hub import HfApi

    check_push_possible(repo_id)
    api = HfApi(token=hub_token())
    api.create_repo(repo_id, repo_type="model", exist_ok=True)
    commit = api.upload_folder(repo_id=repo_id, folder_path=str(folder), repo_type="model", ignore_patterns=[MARKER],
                               commit_message=f"Upload {folder.name} (globmed train)")
    logger.info("pushed %s to https://huggingface.co/%s", folder, repo_id)
    return str(getattr(commit, "commit_url", commit))
