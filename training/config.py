"""Recipes the TRL way: one flat YAML read by TRL's own parser, plus GlobMed's extras in one dataclass.

A recipe is the file `trl sft --config recipe.yaml` reads: every key TRL knows goes to `trl.ScriptArguments`
(`dataset_name`), `trl.SFTConfig` (training) or `trl.ModelConfig` (base model, LoRA, 4-bit), exactly as TRL
parses it; the keys TRL has no field for (output name, language mixture, system prompts, the tiny CPU model)
are the fields of `GlobMedArguments`, parsed by the same `trl.TrlParser` beside them (as alignment-handbook's
scripts/sft.py adds its own ScriptArguments). TRL's own `trl sft` reports those extras as unknown and hands
them to `accelerate launch`, which rejects them; `python -m trl.scripts.sft --config recipe.yaml` ignores them.

Merge order is fixed: dataclass default < recipe YAML < `--set key=value` (a command-line flag of the parser,
so it is typed as TRL types its flags). A key nothing consumes, in the file or in `--set`, is an error that
names the key and the closest known one. `output_dir` is ours to set (ROOT/work/train/<model_name>).

`SFTConfig` itself is built only when training starts (`training.sft.sft_config`): building it checks the
hardware (bf16 needs a GPU), and the GPU recipes must still load, print and validate on a CPU machine.
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from globmed.errors import GlobMedError
from globmed.yaml_io import read_yaml, unknown_key_message

if TYPE_CHECKING:
    from trl import ModelConfig, ScriptArguments, TrlParser

MIXTURES = ("temperature", "weights", "proportional")
TINY = "tiny"  # `model_name_or_path: tiny` builds the CPU model from the tiny_* fields instead of loading one


def _help(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass
class GlobMedArguments:
    """GlobMed's recipe keys, the ones TRL has no field for; every other recipe key is TRL's own."""

    # -- model: what the result is called (which base and how it is adapted are ModelConfig keys)
    model_name: str = field(
        default="globmed-llm-tiny", metadata=_help("output model name; the merged model goes to ROOT/<model_name>")
    )
    model_size: str = field(
        default="tiny", metadata=_help("size tag written in globmed_training.json and the card (1.7b, 4b, 8b)")
    )
    license: str = field(default="apache-2.0", metadata=_help("licence of the fine-tuned weights (the base's)"))

    # -- data: which rows train the model and how languages are balanced (dataset_name is ScriptArguments')
    languages: list[str] = field(
        default_factory=lambda: ["all"], metadata=_help("languages to train on: all, or codes (en,sw)")
    )
    tasks: list[str] = field(default_factory=lambda: ["mcqa", "nli", "lfqa"], metadata=_help("task families"))
    mixture: str = field(
        default="temperature",
        metadata=_help("temperature (p ~ n^(1/T)), weights (p ~ mixture_weights[lang]) or proportional (p ~ n)"),
    )
    mixture_temperature: float = field(
        default=3.0, metadata=_help("sampling temperature T; 1 = proportional, large = uniform")
    )
    mixture_weights: dict[str, float] | str | None = field(
        default=None, metadata=_help("per-language weights for mixture=weights, e.g. {sw: 2}; missing ones get 1.0")
    )
    low_resource_upsample: float = field(
        default=1.5, metadata=_help("extra weight multiplier for the low-resource languages (sw, wo, yo, zu)")
    )
    mixture_rows: int | None = field(
        default=None, metadata=_help("rows in the training mixture; default: as many as the data has")
    )
    mixture_seed: int = field(default=42, metadata=_help("seed of the mixture sampling and the validation subset"))
    max_eval_rows: int | None = field(default=None, metadata=_help("cap on validation rows (a seeded subset)"))
    system_prompts: str | None = field(
        default=None, metadata=_help("YAML table of per-language prompts; default training/prompts.yaml")
    )

    # -- tiny model: shape of the CPU model built when model_name_or_path is `tiny` (globmed.tiny_model)
    tiny_vocab_size: int = field(default=2048, metadata=_help("BPE vocabulary trained on the training texts"))
    tiny_hidden_size: int = field(default=64, metadata=_help("model width"))
    tiny_num_layers: int = field(default=2, metadata=_help("decoder layers"))
    tiny_num_heads: int = field(default=4, metadata=_help("attention heads"))
    tiny_num_kv_heads: int = field(default=2, metadata=_help("key/value heads (grouped-query attention)"))
    tiny_intermediate_size: int = field(default=128, metadata=_help("MLP width"))
    tiny_max_positions: int = field(default=2048, metadata=_help("maximum sequence length"))
    tiny_seed: int = field(default=0, metadata=_help("weight initialisation seed"))

    def __post_init__(self) -> None:
        from globmed.languages import parse_languages

        self.languages = parse_languages(self.languages)  # "all", "en,sw" or a list -> registry-ordered codes
        if isinstance(self.tasks, str):
            self.tasks = [t.strip() for t in self.tasks.split(",") if t.strip()]
        if isinstance(self.mixture_weights, str):  # a `--set mixture_weights={sw: 2}` flag arrives as text
            self.mixture_weights = yaml.safe_load(self.mixture_weights)
        if self.mixture_weights is not None and not isinstance(self.mixture_weights, dict):
            raise GlobMedError(f"mixture_weights: expected a mapping such as {{sw: 2}}, got {self.mixture_weights!r}")
        self.model_size = str(self.model_size)
        if self.mixture not in MIXTURES:
            raise GlobMedError(f"mixture {self.mixture!r}: expected one of {', '.join(MIXTURES)}")
        if self.mixture_temperature <= 0:
            raise GlobMedError(f"mixture_temperature must be > 0, got {self.mixture_temperature}")
        if self.low_resource_upsample <= 0:
            raise GlobMedError(f"low_resource_upsample must be > 0, got {self.low_resource_upsample}")


@dataclass
class Recipe:
    """A resolved recipe: TRL's dataclasses, ours, and the `SFTConfig` keywords (built later, see above)."""

    script: ScriptArguments
    model: ModelConfig
    globmed: GlobMedArguments
    sft: dict[str, Any]  # every SFTConfig field, resolved; `output_dir` is added by training.sft
    given: dict[str, Any]  # the keys the YAML and `--set` gave, resolved: the recipe as a flat file
    path: str = ""

    @property
    def method(self) -> str:
        """lora, qlora (LoRA on a 4-bit base) or full: the name globmed_training.json and the card use."""
        if not self.model.use_peft:
            return "full"
        return "qlora" if self.model.load_in_4bit else "lora"

    @property
    def is_tiny(self) -> bool:
        return self.model.model_name_or_path == TINY

    def to_dict(self) -> dict[str, Any]:
        """The recipe as one flat mapping that `trl sft --config` reads: given keys plus every GlobMed field."""
        return {**self.given, **dataclasses.asdict(self.globmed)}


def make_parser() -> TrlParser:
    """TRL's parser over the dataclasses `trl sft` uses (less its dataset mixture) and ours."""
    from trl import ModelConfig, ScriptArguments, SFTConfig, TrlParser

    return TrlParser((ScriptArguments, SFTConfig, ModelConfig, GlobMedArguments), prog="globmed train")


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


def _unknown(where: str, key: str, known: list[str]) -> GlobMedError:
    # `lora.r` or `sft.learning_rate` (the nested spelling) is matched on its last part
    # the old nested spelling (`lora.r`) still finds its flat key (`lora_r`) as the closest match
    return GlobMedError(f"{where}{unknown_key_message(key, known, list_known=False)} "
                        "(recipes are flat: TRL's keys plus GlobMedArguments')")


def _typed(action: argparse.Action, value: Any, where: str) -> Any:
    """A YAML string read as the command line reads it: YAML 1.1 takes `2e-4` for text, the flag type does not."""
    convert = action.type
    if not isinstance(value, str) or convert in (None, str):
        return value
    try:
        return convert(value)
    except (TypeError, ValueError, argparse.ArgumentTypeError) as err:
        raise GlobMedError(f"{where}{action.dest}: cannot read {value!r} ({err})") from None


def _set_flags(overrides: list[str], actions: dict[str, argparse.Action]) -> list[str]:
    """`--set key=value` items as the parser's own flags; a list field takes comma-separated values."""
    argv: list[str] = []
    for item in overrides:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep:
            raise GlobMedError(f"--set {item!r}: expected key=value, e.g. --set learning_rate=1e-4")
        if key not in actions:
            raise _unknown("--set: ", key, list(actions))
        if key == "output_dir":
            raise GlobMedError("output_dir is set by globmed train (ROOT/work/train/<model_name>); use --out ROOT")
        if actions[key].nargs in ("+", "*"):
            argv += [f"--{key}", *[v.strip() for v in value.split(",") if v.strip()]]
        else:
            argv.append(f"--{key}={value}")
    return argv


def load_recipe(path: str | Path, overrides: list[str] | None = None) -> Recipe:
    """Read a flat recipe with TRL's parser, apply `--set` overrides and check every key; see the module docstring."""
    recipe_path = resolve_recipe_path(path)
    where = f"{recipe_path}: "
    config = read_yaml(recipe_path, "recipe")
    if config is None or config == {}:
        raise GlobMedError(f"{where}the recipe is empty; start from training/recipes/globmed-llm-tiny/sft/"
                           "config_lora.yaml (`globmed train --recipe NAME --print-config` shows a resolved one)")
    if not isinstance(config, dict):
        raise GlobMedError(f"{where}a recipe is a flat mapping of TRL and GlobMed keys, got {type(config).__name__}")

    from trl import ModelConfig, ScriptArguments, SFTConfig

    parser = make_parser()
    actions: dict[str, argparse.Action] = {}
    for action in parser._actions:  # a bool's `--no_<key>` twin comes second and keeps the first, typed, action
        if action.dest != "help":
            actions.setdefault(action.dest, action)
    for key in config:
        if key not in actions:
            raise _unknown(where, str(key), list(actions))
        if key == "output_dir":
            raise GlobMedError(f"{where}output_dir is set by globmed train (ROOT/work/train/<model_name>); drop it")
    parser.set_defaults_with_config(**{key: _typed(actions[key], value, where) for key, value in config.items()})
    parser.exit_on_error = False  # a bad `--set` value is our one-line error, not argparse's page of usage
    try:
        values = vars(parser.parse_known_args(_set_flags(overrides or [], actions))[0])
    except argparse.ArgumentError as err:
        raise GlobMedError(f"--set {(err.argument_name or '').split('/')[0].lstrip('-')}: {err.message}") from None

    def build(cls):
        return cls(**{f.name: values[f.name] for f in dataclasses.fields(cls) if f.init})

    try:
        script, model = build(ScriptArguments), build(ModelConfig)
    except ValueError as err:
        raise GlobMedError(f"{where}{err}") from None
    recipe = Recipe(
        script=script, model=model, globmed=build(GlobMedArguments),
        sft={f.name: values[f.name] for f in dataclasses.fields(SFTConfig) if f.init and f.name != "output_dir"},
        given={key: values[key] for key in [*config, *(item.partition("=")[0].strip() for item in overrides or [])]},
        path=str(recipe_path),
    )
    _check_model(recipe, where)
    return recipe


def _check_model(recipe: Recipe, where: str) -> None:
    """Cross-field checks on the ModelConfig keys, before any data or model work."""
    model = recipe.model
    if not model.model_name_or_path:
        raise GlobMedError(f"{where}model_name_or_path is missing: a Hub id, a local folder, or {TINY!r}")
    if model.load_in_8bit:
        raise GlobMedError(f"{where}load_in_8bit is not supported by globmed train; use load_in_4bit (QLoRA)")
    if model.load_in_4bit and not model.use_peft:
        raise GlobMedError(f"{where}load_in_4bit trains a LoRA adapter on the 4-bit base: set use_peft: true")
