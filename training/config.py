"""Typed recipe configuration: our own blocks (model, lora, data, tiny_model) plus the `sft` block for TRL.

A recipe is a YAML file with one block per concern, each parsed into its own dataclass; the `sft` block is
passed as is to `trl.SFTConfig`, so its keys are TRL's own and the same values work with `trl sft --config`
(see `trl_flat_config`). Merge order is fixed: dataclass default < recipe YAML < `--set block.key=value`.
Any key nothing consumes (in the YAML or in `--set`) is an error that names the key and the closest known one.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from globmed.errors import GlobMedError

METHODS = ("lora", "qlora", "full")
MIXTURES = ("temperature", "weights", "proportional")


def _help(text: str, **extra: Any) -> dict[str, Any]:
    return {"help": text, **extra}


@dataclass
class ModelArguments:
    """Which base model to fine-tune, how, and what the result is called."""

    name: str = field(
        default="globmed-llm-tiny", metadata=_help("output model name; the merged model goes to ROOT/<name>")
    )
    size: str = field(
        default="tiny", metadata=_help("size tag written in globmed_training.json and the card (1.7b, 4b, 8b)")
    )
    base_model: str = field(
        default="tiny", metadata=_help("Hub id or local path of the base model; 'tiny' builds one from tiny_model")
    )
    method: str = field(default="lora", metadata=_help("lora, qlora (4-bit nf4 base, needs CUDA) or full fine-tuning"))
    dtype: str = field(default="bfloat16", metadata=_help("dtype the base weights are loaded in (bfloat16, float32)"))
    attn_implementation: str | None = field(
        default="sdpa", metadata=_help("attention kernel: sdpa, eager or flash_attention_2 (best with packing on GPU)")
    )
    revision: str | None = field(default=None, metadata=_help("Hub revision of the base model"))
    license: str = field(default="apache-2.0", metadata=_help("licence of the fine-tuned weights (the base's)"))

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise GlobMedError(f"model.method {self.method!r}: expected one of {', '.join(METHODS)}")
        self.size = str(self.size)


@dataclass
class LoraArguments:
    """LoRA adapter (used by method lora and qlora); all linear layers by default, as in the QLoRA paper."""

    r: int = field(default=16, metadata=_help("LoRA rank"))
    alpha: int = field(default=32, metadata=_help("LoRA scaling numerator (scale = alpha / r)"))
    dropout: float = field(default=0.05, metadata=_help("dropout on the LoRA branch"))
    target_modules: str | list[str] = field(
        default="all-linear", metadata=_help("'all-linear' or a list of module names to adapt")
    )
    use_rslora: bool = field(default=False, metadata=_help("rank-stabilised scaling alpha / sqrt(r)"))
    modules_to_save: list[str] | None = field(
        default=None, metadata=_help("modules trained in full beside the adapter, e.g. [norm] for a random tiny base")
    )


@dataclass
class QuantizationArguments:
    """bitsandbytes 4-bit loading for QLoRA: nf4 with double quantisation and bf16 compute."""

    quant_type: str = field(default="nf4", metadata=_help("4-bit data type: nf4 or fp4"))
    double_quant: bool = field(default=True, metadata=_help("quantise the quantisation constants too"))
    compute_dtype: str = field(default="bfloat16", metadata=_help("dtype of the de-quantised matmuls"))


@dataclass
class DataArguments:
    """Which rows train the model and how languages are balanced."""

    dataset: str | None = field(
        default=None, metadata=_help("dataset folder or Hub repo; default ROOT/globmed (--dataset overrides)")
    )
    languages: str | list[str] = field(default="all", metadata=_help("languages to train on: 'all' or codes"))
    tasks: list[str] = field(default_factory=lambda: ["mcqa", "nli", "lfqa"], metadata=_help("task families"))
    mixture: str = field(
        default="temperature",
        metadata=_help("temperature (p ~ n^(1/T)), weights (p ~ weights[lang]) or proportional (p ~ n)"),
    )
    temperature: float = field(default=3.0, metadata=_help("sampling temperature; 1 = proportional, large = uniform"))
    weights: dict[str, float] = field(
        default_factory=dict, metadata=_help("per-language weights for mixture=weights; missing languages get 1.0")
    )
    low_resource_upsample: float = field(
        default=1.5, metadata=_help("extra weight multiplier for the low-resource languages (sw, wo, yo, zu)")
    )
    total_rows: int | None = field(
        default=None, metadata=_help("rows in the training mixture; default: as many as the data has")
    )
    max_eval_rows: int | None = field(default=None, metadata=_help("cap on validation rows (a stratified subset)"))
    seed: int = field(default=42, metadata=_help("seed of the mixture sampling"))
    system_prompts: str | None = field(
        default=None, metadata=_help("YAML table of per-language prompts; default training/prompts.yaml")
    )

    def __post_init__(self) -> None:
        from globmed.languages import parse_languages

        self.languages = parse_languages(self.languages)  # "all" or "en,sw" -> registry-ordered codes
        if self.mixture not in MIXTURES:
            raise GlobMedError(f"data.mixture {self.mixture!r}: expected one of {', '.join(MIXTURES)}")
        if self.temperature <= 0:
            raise GlobMedError(f"data.temperature must be > 0, got {self.temperature}")
        if self.low_resource_upsample <= 0:
            raise GlobMedError(f"data.low_resource_upsample must be > 0, got {self.low_resource_upsample}")


@dataclass
class TinyModelArguments:
    """Shape of the CPU demo model built from a config (`globmed.tiny_model.build_tiny_model`)."""

    vocab_size: int = field(default=2048, metadata=_help("BPE vocabulary trained on the training texts"))
    hidden_size: int = field(default=64, metadata=_help("model width"))
    num_layers: int = field(default=2, metadata=_help("decoder layers"))
    num_heads: int = field(default=4, metadata=_help("attention heads"))
    num_kv_heads: int = field(default=2, metadata=_help("key/value heads (grouped-query attention)"))
    intermediate_size: int = field(default=128, metadata=_help("MLP width"))
    max_positions: int = field(default=2048, metadata=_help("maximum sequence length"))
    seed: int = field(default=0, metadata=_help("weight initialisation seed"))


BLOCKS: dict[str, type] = {
    "model": ModelArguments,
    "lora": LoraArguments,
    "quantization": QuantizationArguments,
    "data": DataArguments,
    "tiny_model": TinyModelArguments,
}


@dataclass
class Recipe:
    """A resolved recipe: our dataclasses plus the raw `sft` mapping for `trl.SFTConfig`."""

    model: ModelArguments
    lora: LoraArguments
    quantization: QuantizationArguments
    data: DataArguments
    tiny_model: TinyModelArguments
    sft: dict[str, Any]
    path: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = {name: dataclasses.asdict(getattr(self, name)) for name in BLOCKS}
        out["sft"] = dict(self.sft)
        return out

    @property
    def is_tiny(self) -> bool:
        return self.model.base_model == "tiny"


def sft_field_types() -> dict[str, Any]:
    """Field name -> annotation of `trl.SFTConfig` (TrainingArguments included)."""
    from trl import SFTConfig

    hints = typing.get_type_hints(SFTConfig)
    return {f.name: hints.get(f.name, Any) for f in dataclasses.fields(SFTConfig) if f.init}


def _unknown(kind: str, key: str, known: list[str]) -> GlobMedError:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else (f"; known: {', '.join(known)}" if len(known) <= 12 else "")
    return GlobMedError(f"unknown {kind} {key!r}{hint}")


def coerce(value: Any, annotation: Any, key: str) -> Any:
    """Convert a YAML or `--set` value to the field's type (YAML reads 2e-4 as a string, `--set` gives strings)."""
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        errors = []
        for option in args:
            try:
                return coerce(value, option, key)
            except GlobMedError as err:
                errors.append(str(err))
        raise GlobMedError(errors[0] if errors else f"{key}: cannot convert {value!r}")
    if annotation is Any or annotation is None:
        return value
    if origin in (list, tuple):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list | tuple):
            raise GlobMedError(f"{key}: expected a list, got {value!r}")
        inner = typing.get_args(annotation)[0] if typing.get_args(annotation) else Any
        return [coerce(v, inner, key) for v in value]
    if origin is dict or annotation is dict:
        if not isinstance(value, dict):
            raise GlobMedError(f"{key}: expected a mapping, got {value!r}")
        return value
    if annotation is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"true", "false", "1", "0", "yes", "no", "on", "off"}:
            return value.lower() in {"true", "1", "yes", "on"}
        raise GlobMedError(f"{key}: expected true or false, got {value!r}")
    if annotation in (int, float):
        if isinstance(value, bool):
            raise GlobMedError(f"{key}: expected a number, got {value!r}")
        try:
            number = float(value) if annotation is float else int(str(value), 0) if isinstance(value, str) else value
        except (TypeError, ValueError):
            raise GlobMedError(f"{key}: expected {annotation.__name__}, got {value!r}") from None
        if annotation is int and (not isinstance(number, int) or isinstance(number, bool)):
            if isinstance(number, float) and number.is_integer():
                return int(number)
            raise GlobMedError(f"{key}: expected an integer, got {value!r}")
        return number
    if annotation is str:
        if isinstance(value, dict | list):
            raise GlobMedError(f"{key}: expected a string, got {value!r}")
        return str(value)
    if isinstance(annotation, type) and isinstance(value, annotation):
        return value
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        if isinstance(value, bool):  # YAML 1.1 reads `no` / `yes` as booleans
            value = "yes" if value else "no"
        try:
            return annotation(value).value
        except ValueError:
            choices = ", ".join(str(m.value) for m in annotation)
            raise GlobMedError(f"{key}: {value!r} is not one of {choices}") from None
    if isinstance(value, str | int | float | bool):  # enums and similar: let the library validate
        return value
    raise GlobMedError(f"{key}: cannot use {value!r} for a {annotation} field")


def _block_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


_YAML_BOOL_WORDS = {"yes", "no", "on", "off", "y", "n"}  # YAML 1.1 booleans; kept as text, coerced by field type


def parse_set(items: list[str] | None) -> dict[str, dict[str, Any]]:
    """Turn `--set block.key=value` (or a bare `key=value` that only one block has) into nested overrides."""
    overrides: dict[str, dict[str, Any]] = {}
    sft_keys = None
    for item in items or []:
        if "=" not in item:
            raise GlobMedError(f"--set {item!r}: expected key=value, e.g. --set sft.learning_rate=1e-4")
        key, raw = item.split("=", 1)
        key = key.strip()
        value = raw if raw.strip().lower() in _YAML_BOOL_WORDS else yaml.safe_load(raw) if raw.strip() else ""
        if "." in key:
            block, name = key.split(".", 1)
            if block not in (*BLOCKS, "sft"):
                raise _unknown("--set block", block, [*BLOCKS, "sft"])
        else:
            sft_keys = sft_keys if sft_keys is not None else set(sft_field_types())
            owners = [b for b, cls in BLOCKS.items() if key in {f.name for f in dataclasses.fields(cls)}]
            if key in sft_keys:
                owners.append("sft")
            if not owners:
                known = [f"{b}.{f.name}" for b, c in BLOCKS.items() for f in dataclasses.fields(c)] + sorted(sft_keys)
                raise _unknown("--set key", key, known)
            if len(owners) > 1:
                raise GlobMedError(
                    f"--set {key}: ambiguous, it is in {', '.join(owners)}; write e.g. {owners[0]}.{key}"
                )
            block, name = owners[0], key
        overrides.setdefault(block, {})[name] = value
    return overrides


def resolve_recipe_path(path: str | Path) -> Path:
    """A recipe file, or a name under training/recipes (`globmed-llm-tiny/sft/config_lora`)."""
    candidate = Path(path)
    if candidate.is_file():
        return candidate
    shipped = Path(__file__).parent / "recipes" / str(path)
    for option in (shipped, shipped.with_suffix(".yaml")):
        if option.is_file():
            return option
    raise GlobMedError(f"recipe {path}: no such file (shipped recipes: {', '.join(list_recipes())})")


def list_recipes() -> list[str]:
    root = Path(__file__).parent / "recipes"
    return sorted(str(p.relative_to(root)) for p in root.glob("*/sft/*.yaml"))


def load_recipe(path: str | Path, overrides: list[str] | None = None) -> Recipe:
    """Read a recipe YAML, apply `--set` overrides and check every key; see the module docstring."""
    recipe_path = resolve_recipe_path(path)
    try:
        raw = yaml.safe_load(recipe_path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise GlobMedError(f"{recipe_path}: not valid YAML: {err}") from None
    if not isinstance(raw, dict):
        raise GlobMedError(f"{recipe_path}: a recipe is a mapping of blocks ({', '.join([*BLOCKS, 'sft'])})")
    for block in raw:
        if block not in (*BLOCKS, "sft"):
            raise GlobMedError(f"{recipe_path}: {_unknown('block', block, [*BLOCKS, 'sft'])}")
    merged: dict[str, dict[str, Any]] = {}
    for block, values in raw.items():
        if values is not None and not isinstance(values, dict):
            raise GlobMedError(f"{recipe_path}: block {block!r} must be a mapping, got {values!r}")
        merged[block] = dict(values or {})
    for block, values in parse_set(overrides).items():
        merged.setdefault(block, {}).update(values)

    built: dict[str, Any] = {}
    for block, cls in BLOCKS.items():
        types_ = _block_types(cls)
        kwargs = {}
        for key, value in merged.get(block, {}).items():
            if key not in types_:
                raise GlobMedError(f"{recipe_path}: {_unknown(f'{block} key', key, list(types_))}")
            kwargs[key] = coerce(value, types_[key], f"{block}.{key}")
        built[block] = cls(**kwargs)
    built["sft"] = check_sft_block(merged.get("sft", {}))
    return Recipe(**built, path=str(recipe_path))


def check_sft_block(values: dict[str, Any]) -> dict[str, Any]:
    """Check every key is a `trl.SFTConfig` field and coerce its value; `output_dir` is ours to set."""
    types_ = sft_field_types()
    out = {}
    for key, value in values.items():
        if key not in types_:
            raise _unknown("sft (trl.SFTConfig) key", key, list(types_))
        if key == "output_dir":
            raise GlobMedError("sft.output_dir is set by globmed train (ROOT/work/train/<model-name>); use --out ROOT")
        out[key] = coerce(value, types_[key], f"sft.{key}")
    return out
