"""Load (or, for the tiny recipe, build) the base model and tokenizer; the LoRA and 4-bit configs are TRL's.

QLoRA loads the base in 4-bit nf4 with bitsandbytes: on a CUDA GPU, or on the CPU (bitsandbytes >= 0.49 has CPU
kernels), which is slow and meant for the tiny recipe and the tests. The merge after training reloads the base in
full precision (`merge_dtype`) and refuses 4-bit layers, so a release never ships `Linear4bit` weights. Base models
come from the Hub or a local folder; offline, a model that is not in the local cache is an error naming it.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

from globmed.errors import GlobMedError, hub_offline
from training.config import Recipe

logger = logging.getLogger(__name__)

CHATML_TEMPLATE = Path(__file__).parent / "chat_templates" / "chatml_generation.jinja"


def torch_dtype(name: str):
    """The torch dtype of ModelConfig's `dtype` ("auto" is left to transformers)."""
    import torch

    if name == "auto":
        return name
    try:
        return {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}[name]
    except KeyError:
        raise GlobMedError(f"dtype {name!r}: expected auto, bfloat16, float16 or float32") from None


def check_quantization_possible(recipe: Recipe) -> None:
    """Fail before any data or model work when 4-bit is asked for without bitsandbytes; warn when it runs on CPU."""
    if not recipe.model.load_in_4bit:
        return
    import torch

    try:
        import bitsandbytes  # noqa: F401
    except ImportError:
        raise GlobMedError(
            "load_in_4bit needs the bitsandbytes package: pip install 'globmed[train]' (or bitsandbytes)"
        ) from None
    if not torch.cuda.is_available():
        logger.warning(
            "QLoRA without a CUDA GPU: bitsandbytes computes the 4-bit layers on the CPU, which is slow (fine for "
            "the tiny recipe, hours per step for a real model); train on a GPU, or use --set load_in_4bit=false"
        )


EMBEDDING_MODULES = frozenset({"embed_tokens", "lm_head"})


def ties_embeddings(model) -> bool:
    """Whether the model's output layer shares its weight with the input embeddings (Qwen3 <= 4B, the tiny model)."""
    config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    return bool(getattr(config, "tie_word_embeddings", False))


def lora_config(recipe: Recipe, model=None):
    """TRL's LoraConfig for the recipe (`trl.get_peft_config`), tying trained embeddings where the base ties them.

    When the embeddings are trained in full (`lora_modules_to_save: [embed_tokens, ...]`) and the base ties them to
    the output layer, peft must tie the trained copy too (`ensure_weight_tying`, which TRL does not set): otherwise
    training updates the input copy while the logits still come from the frozen original, and the merged model
    (saved tied) computes something different from what was trained.
    """
    from trl import get_peft_config

    config = get_peft_config(recipe.model)
    trains_embeddings = bool(EMBEDDING_MODULES & set(recipe.model.lora_modules_to_save or []))
    tie = trains_embeddings and (model is None or ties_embeddings(model))
    return dataclasses.replace(config, ensure_weight_tying=tie) if tie else config


def build_tiny_base(recipe: Recipe, out_dir: Path, texts: list[str]) -> Path:
    """Build the tiny demo base model (tokenizer trained on the training texts) unless it is already there."""
    from globmed.tiny_model import build_tiny_model

    if (out_dir / "config.json").is_file() and (out_dir / "tokenizer.json").is_file():
        logger.info("reusing the tiny base model in %s", out_dir)
        return out_dir
    g = recipe.globmed
    logger.info("building the tiny base model (%d layers, hidden %d) in %s", g.tiny_num_layers, g.tiny_hidden_size,
                out_dir)
    from globmed.outputs import atomic_dir

    # ROOT/work/train/<model_name> is train's own scratch (it also clears old checkpoints there)
    with atomic_dir(out_dir, "train", overwrite=True) as tmp:
        build_tiny_model(
            tmp, texts, vocab_size=g.tiny_vocab_size, hidden_size=g.tiny_hidden_size, num_layers=g.tiny_num_layers,
            num_heads=g.tiny_num_heads, num_kv_heads=g.tiny_num_kv_heads,
            intermediate_size=g.tiny_intermediate_size, max_positions=g.tiny_max_positions, seed=g.tiny_seed,
        )
    return out_dir


def load_tokenizer(base: str, recipe: Recipe):
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(base, revision=recipe.model.model_revision)
    except OSError as err:
        raise GlobMedError(_load_error(base, err)) from None
    template = recipe.sft.get("chat_template_path")
    if template:
        path = resolve_template(template)
        tokenizer.chat_template = path.read_text(encoding="utf-8")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def resolve_template(template: str) -> Path:
    """A chat template file given in the recipe, relative to the working dir or to the repository root."""
    for candidate in (Path(template), Path(__file__).parents[1] / template):
        if candidate.is_file():
            return candidate
    raise GlobMedError(f"chat_template_path {template}: no such file")


def merge_dtype(recipe: Recipe):
    """The precision the adapter is merged in: the recipe's dtype on a GPU machine (bf16 for the GPU recipes),
    float32 on CPU (bf16 arithmetic there is slow and rounds the merged sums for nothing)."""
    import torch

    if not torch.cuda.is_available():
        return torch.float32
    dtype = torch_dtype(recipe.model.dtype)
    return torch.bfloat16 if dtype == "auto" else dtype


def four_bit_layers(model) -> list[str]:
    """Names of the modules holding bitsandbytes 4-bit weights (empty for a full-precision model)."""
    try:
        from bitsandbytes.nn import Linear4bit
    except ImportError:  # without bitsandbytes nothing can be 4-bit
        return []
    return [name for name, module in model.named_modules() if isinstance(module, Linear4bit)]


def quantised_base_error(base: str, detail: str) -> GlobMedError:
    return GlobMedError(
        f"{base} is stored quantised ({detail}): a LoRA adapter trained on it could only be merged into 4-bit "
        "layers, which globmed train does not do; use the full-precision checkpoint of that model (QLoRA "
        "quantises it while loading)"
    )


def check_full_precision_base(base: str, recipe: Recipe) -> None:
    """Before training: refuse a base checkpoint saved in 4-bit/8-bit, whose adapter could not be merged properly."""
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(base, revision=recipe.model.model_revision)
    except OSError as err:
        raise GlobMedError(_load_error(base, err)) from None
    quantization = getattr(config, "quantization_config", None)
    if quantization:
        method = quantization.get("quant_method") if isinstance(quantization, dict) else quantization
        raise quantised_base_error(base, f"config.json has a {method} quantization_config")


def load_model(base: str, recipe: Recipe, for_training: bool = True, dtype=None):
    """The base model, in 4-bit for QLoRA training (`trl.get_quantization_config`), else in `dtype` (default: the
    recipe's); `device_map` is left to accelerate so DDP/FSDP/ZeRO-3 work."""
    from transformers import AutoModelForCausalLM
    from trl import get_quantization_config

    kwargs: dict[str, Any] = {"dtype": dtype or torch_dtype(recipe.model.dtype),
                              "revision": recipe.model.model_revision}
    if recipe.model.attn_implementation:
        kwargs["attn_implementation"] = recipe.model.attn_implementation
    if for_training and recipe.model.load_in_4bit:
        kwargs["quantization_config"] = get_quantization_config(recipe.model)
    try:
        model = AutoModelForCausalLM.from_pretrained(base, **kwargs)
    except OSError as err:
        raise GlobMedError(_load_error(base, err)) from None
    if for_training and recipe.model.load_in_4bit:
        keep_cpu_4bit_differentiable(model)
    if for_training and (recipe.sft.get("activation_checkpointing") or recipe.sft.get("gradient_checkpointing")):
        model.config.use_cache = False
    return model


def keep_cpu_4bit_differentiable(model) -> int:
    """Stop bitsandbytes from repacking 4-bit weights for CPU inference; returns how many layers it touched.

    On a CPU with AVX512-BF16, bitsandbytes 0.50 converts a `Linear4bit` weight in place, at its first forward in
    eval mode without gradients (the evaluation before training), to a packed layout whose kernel has no autograd:
    every later training step then silently drops the gradient through the base weights (the LoRA adapters of the
    layers below and the trained embeddings get none). Training evaluates between steps, so the conversion is
    switched off on every 4-bit layer.
    """
    from bitsandbytes.nn import Linear4bit

    layers = [module for module in model.modules() if isinstance(module, Linear4bit)]
    for layer in layers:
        layer.support_avx512bf16_for_cpu = False
    return len(layers)


def _load_error(base: str, err: Exception) -> str:
    if not Path(base).exists() and hub_offline():
        return (f"base model {base} is not in the local Hugging Face cache and HF_HUB_OFFLINE is set; download it "
                f"first (huggingface-cli download {base}) or unset HF_HUB_OFFLINE")
    return f"cannot load base model {base}: {err}"
