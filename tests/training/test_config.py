"""Recipes: every shipped flat YAML is read by TRL's own parser, merge order, typed `--set`, one-line key errors."""

from __future__ import annotations

import dataclasses

import pytest

from globmed.errors import GlobMedError
from training.config import GlobMedArguments, list_recipes, load_recipe, resolve_recipe_path

RECIPES = list_recipes()
TINY_LORA = "globmed-llm-tiny/sft/config_lora.yaml"
GLOBMED_KEYS = {f.name for f in dataclasses.fields(GlobMedArguments)}


def test_every_size_and_variant_is_shipped():
    expected = {f"globmed-llm-{s}/sft/config_{v}.yaml" for s in ("1.7b", "4b", "8b") for v in ("qlora", "full")}
    expected |= {"globmed-llm-tiny/sft/config_lora.yaml", "globmed-llm-tiny/sft/config_full.yaml"}
    assert expected <= set(RECIPES)


@pytest.mark.parametrize("name", RECIPES)
def test_trl_parser_with_our_dataclass_accepts_every_key(name, tmp_path):
    """TrlParser over TRL's `trl sft` dataclasses plus ours consumes the whole file (unknown keys would raise)."""
    from trl import DatasetMixtureConfig, ModelConfig, ScriptArguments, SFTConfig, TrlParser

    parser = TrlParser((ScriptArguments, SFTConfig, ModelConfig, DatasetMixtureConfig, GlobMedArguments))
    # GPU recipes ask for bf16; the flags (which win over the file) build the config as the CPU would
    script, sft, model, _, ours = parser.parse_args_and_config(
        ["--config", str(resolve_recipe_path(name)), "--output_dir", str(tmp_path), "--bf16", "false",
         "--use_cpu", "true"], fail_with_unknown_args=True,
    )
    assert sft.assistant_only_loss is True and sft.packing is True and sft.packing_strategy == "bfd"
    assert ours.model_name == name.split("/")[0] and script.dataset_name is None
    if "qlora" in name:
        assert model.use_peft and model.load_in_4bit and model.bnb_4bit_quant_type == "nf4"
        assert model.use_bnb_nested_quant and model.lora_target_modules == "all-linear"
        if "tiny" not in name:  # GPU recipes store 4-bit weights in bf16 so FSDP2/ZeRO-3 can shard them
            assert model.bnb_4bit_quant_storage == model.dtype == "bfloat16"
    if "full" in name:
        assert not model.use_peft and not model.load_in_4bit
    if "tiny" not in name:
        assert model.model_name_or_path.startswith("Qwen/Qwen3-") and model.model_name_or_path.endswith("-Base")
        assert sft.chat_template_path.endswith("chatml_generation.jinja")


@pytest.mark.parametrize("name", RECIPES)
def test_trl_sft_parser_takes_every_key_but_ours(name):
    """`trl sft`'s own parser (trl.scripts.sft.make_parser) consumes every key except GlobMed's extras."""
    import yaml
    from trl.scripts.sft import make_parser

    path = resolve_recipe_path(name)
    keys = set(yaml.safe_load(path.read_text(encoding="utf-8")))
    *_, config_remaining, cli_remaining = make_parser().parse_args_and_config(
        ["--config", str(path), "--bf16", "false", "--use_cpu", "true"],
        return_remaining_strings=True, separate_remaining_strings=True,
    )
    left = {item[2:] for item in config_remaining[::2]}
    assert cli_remaining == [] and left == keys & GLOBMED_KEYS and left  # TRL knows every other key


def test_trl_cli_reads_the_tiny_recipe(monkeypatch):
    """`trl sft --config <tiny lora recipe>` as TRL's CLI runs it, up to the `accelerate launch` call."""
    from trl.cli import accelerate_launcher
    from trl.cli.main import main as trl_main

    launched = {}
    monkeypatch.setattr(accelerate_launcher, "launch_training_script", lambda **kwargs: launched.update(kwargs))
    path = str(resolve_recipe_path(TINY_LORA))
    assert trl_main(["sft", "--config", path]) == 0
    assert launched["script_name"] == "sft.py" and launched["training_script_args"] == ["--config", path]
    # TRL hands the keys its parser does not know to `accelerate launch`: exactly GlobMed's extras
    assert {arg[2:] for arg in launched["launch_args"] if arg.startswith("--")} <= GLOBMED_KEYS


def test_recipe_resolves_trl_and_globmed_keys():
    recipe = load_recipe(TINY_LORA)
    assert recipe.method == "lora" and recipe.is_tiny
    assert recipe.model.lora_r == 16 and recipe.model.lora_modules_to_save == ["embed_tokens", "norm"]
    assert recipe.sft["learning_rate"] == pytest.approx(3e-3) and recipe.sft["max_length"] == 1024
    assert recipe.globmed.tiny_num_layers == 4 and len(recipe.globmed.languages) == 12
    flat = recipe.to_dict()
    assert flat["max_steps"] == 120 and flat["mixture"] == "temperature" and "output_dir" not in flat
    assert [load_recipe(r).method for r in ("globmed-llm-8b/sft/config_qlora", "globmed-llm-8b/sft/config_full")] == [
        "qlora", "full"]


def test_printed_config_is_a_recipe(tmp_path):
    """`globmed train --print-config` writes a flat file that loads back to the same recipe."""
    import yaml

    recipe = load_recipe("globmed-llm-8b/sft/config_qlora", ["learning_rate=1e-4", "languages=sw,yo"])
    path = tmp_path / "printed.yaml"
    path.write_text(yaml.safe_dump(recipe.to_dict(), sort_keys=False), encoding="utf-8")
    again = load_recipe(path)
    assert (again.sft, again.model, again.globmed, again.script) == (
        recipe.sft, recipe.model, recipe.globmed, recipe.script)


def test_merge_order_default_then_yaml_then_set():
    recipe = load_recipe(TINY_LORA)
    assert recipe.model.lora_dropout == 0.0  # YAML overrides TRL's default 0.05
    assert recipe.globmed.mixture_weights is None  # default kept
    over = load_recipe(TINY_LORA, [
        "learning_rate=1e-4", "lora_r=4", "languages=en,sw", "max_steps=7", "mixture_weights={sw: 2}",
        "packing=false", "save_total_limit=null", "lora_modules_to_save=embed_tokens,norm,lm_head",
    ])
    assert over.sft["learning_rate"] == pytest.approx(1e-4) and isinstance(over.sft["learning_rate"], float)
    assert over.model.lora_r == 4 and over.globmed.languages == ["en", "sw"]
    assert over.sft["max_steps"] == 7 and over.sft["packing"] is False and over.sft["save_total_limit"] is None
    assert over.globmed.mixture_weights == {"sw": 2}
    assert over.model.lora_modules_to_save == ["embed_tokens", "norm", "lm_head"]
    assert over.to_dict()["max_steps"] == 7


def test_yaml_text_is_typed_as_the_command_line_types_it(tmp_path):
    """YAML 1.1 reads `2e-4` as text; the recipe loader gives it the flag's type, as `--learning_rate 2e-4` would."""
    path = tmp_path / "recipe.yaml"
    path.write_text("model_name_or_path: tiny\nlearning_rate: 2e-4\nmax_steps: '5'\npacking: 'false'\n")
    recipe = load_recipe(path)
    assert recipe.sft["learning_rate"] == pytest.approx(2e-4) and recipe.sft["max_steps"] == 5
    assert recipe.sft["packing"] is False
    path.write_text("model_name_or_path: tiny\nmax_steps: many\n")
    with pytest.raises(GlobMedError, match=r"max_steps: cannot read 'many' .*int"):
        load_recipe(path)
    path.write_text("model_name_or_path: tiny\npacking: maybe\n")
    with pytest.raises(GlobMedError, match=r"packing: cannot read 'maybe' .*true/false"):
        load_recipe(path)


def test_every_globmed_field_has_help():
    for f in dataclasses.fields(GlobMedArguments):
        assert f.metadata.get("help"), f"GlobMedArguments.{f.name} has no help"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["learnin_rate=1"], "unknown key 'learnin_rate' (did you mean 'learning_rate'?)"),
        (["sft.learning_rate=1"], "unknown key 'sft.learning_rate' (did you mean 'learning_rate'?)"),
        (["lora.r=3"], "unknown key 'lora.r' (did you mean 'lora_r'?)"),
        (["max_steps=abc"], "--set max_steps: invalid int value: 'abc'"),
        (["mixture=uniform"], "mixture 'uniform': expected one of temperature, weights, proportional"),
        (["output_dir=/tmp/x"], "output_dir is set by globmed train"),
        (["seed"], "expected key=value"),
        (["load_in_4bit=true", "use_peft=false"], "load_in_4bit trains a LoRA adapter"),
        (["load_in_8bit=true"], "load_in_8bit is not supported"),
        (["languages=en,xx"], "'xx'"),
    ],
)
def test_bad_overrides_name_the_key(overrides, message):
    with pytest.raises(GlobMedError) as info:
        load_recipe(TINY_LORA, overrides)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_unknown_yaml_key_is_named(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("model_name_or_path: tiny\npacking: true\nmax_seq_length: 512\n")
    with pytest.raises(GlobMedError, match=r"unknown key 'max_seq_length' \(did you mean 'max_length'"):
        load_recipe(bad)
    bad.write_text("model_nmae: x\n")
    with pytest.raises(GlobMedError, match=r"unknown key 'model_nmae' \(did you mean 'model_name'"):
        load_recipe(bad)
    bad.write_text("sft:\n  packing: true\n")  # the old nested form
    with pytest.raises(GlobMedError, match=r"unknown key 'sft'.*recipes are flat"):
        load_recipe(bad)
    bad.write_text("learning_rate: 1.0e-4\n")
    with pytest.raises(GlobMedError, match="model_name_or_path is missing"):
        load_recipe(bad)
    bad.write_text("- a\n- b\n")
    with pytest.raises(GlobMedError, match="a recipe is a flat mapping"):
        load_recipe(bad)
    with pytest.raises(GlobMedError, match="no such file"):
        load_recipe(tmp_path / "missing.yaml")
