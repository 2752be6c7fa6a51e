"""The recipe as one flat YAML for `trl sft --config` (TRL's own script: ScriptArguments, SFTConfig, ModelConfig).

Useful where our data loader is not needed, e.g. training on a published chat-formatted Hub dataset with
TRL's stock script. Our mixture and formatting have no TRL equivalent, so they are not part of the output.
"""

from __future__ import annotations

from typing import Any

from training.config import Recipe


def trl_flat_config(recipe: Recipe, dataset: str | None = None) -> dict[str, Any]:
    config: dict[str, Any] = {"model_name_or_path": recipe.model.base_model}
    if dataset or recipe.data.dataset:
        config["dataset_name"] = dataset or recipe.data.dataset
    config["dtype"] = recipe.model.dtype
    if recipe.model.attn_implementation:
        config["attn_implementation"] = recipe.model.attn_implementation
    if recipe.model.method in ("lora", "qlora"):
        config.update({
            "use_peft": True, "lora_r": recipe.lora.r, "lora_alpha": recipe.lora.alpha,
            "lora_dropout": recipe.lora.dropout, "lora_target_modules": recipe.lora.target_modules,
        })
    if recipe.model.method == "qlora":
        config.update({
            "load_in_4bit": True, "bnb_4bit_quant_type": recipe.quantization.quant_type,
            "use_bnb_nested_quant": recipe.quantization.double_quant,
        })
    config["output_dir"] = recipe.model.name
    config.update(recipe.sft)
    return config
