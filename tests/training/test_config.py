"""Recipes: every shipped YAML parses, its sft block is a valid trl.SFTConfig, merge order and key errors."""

from __future__ import annotations

import dataclasses

import pytest

from globmed.errors import GlobMedError
from training.config import BLOCKS, coerce, list_recipes, load_recipe, parse_set

RECIPES = list_recipes()


def test_every_size_and_variant_is_shipped():
    expected = {f"globmed-llm-{s}/sft/config_{v}.yaml" for s in ("1.7b", "4b", "8b") for v in ("qlora", "full")}
    expected |= {"globmed-llm-tiny/sft/config_lora.yaml", "globmed-llm-tiny/sft/config_full.yaml"}
    assert expected <= set(RECIPES)


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_sft_block_is_accepted_by_trl(name, tmp_path):
    from trl import SFTConfig

    recipe = load_recipe(name)
    kwargs = dict(recipe.sft)
    # GPU recipes ask for bf16; build the config as the CPU would, without touching CUDA
    kwargs.update(bf16=False, use_cpu=True)
    config = SFTConfig(output_dir=str(tmp_path), **kwargs)
    assert config.assistant_only_loss is True
    assert config.packing is True
    assert recipe.model.name == name.split("/")[0]
    if "qlora" in name:
        assert recipe.model.method == "qlora" and recipe.quantization.quant_type == "nf4"
        assert recipe.quantization.double_quant and recipe.lora.target_modules == "all-linear"
    if not recipe.is_tiny:
        assert recipe.model.base_model.startswith("Qwen/Qwen3-") and recipe.model.base_model.endswith("-Base")
        assert recipe.sft["chat_template_path"].endswith("chatml_generation.jinja")
        assert recipe.sft["bf16"] is True


@pytest.mark.parametrize("name", [r for r in RECIPES if "tiny" not in r])
def test_trl_flat_config_is_accepted_by_trl_sft_parser(name):
    """`globmed train --trl-config` output is consumed entirely by TRL's own `trl sft` parser."""
    from trl.scripts.sft import make_parser

    from training.trl_export import trl_flat_config

    config = trl_flat_config(load_recipe(name), dataset="ORG/globmed-chat")
    parser = make_parser()
    remaining = parser.set_defaults_with_config(**config)
    assert remaining == []


def test_merge_order_default_then_yaml_then_set():
    recipe = load_recipe("globmed-llm-tiny/sft/config_lora.yaml")
    default_r = next(f.default for f in dataclasses.fields(BLOCKS["lora"]) if f.name == "r")
    assert recipe.lora.dropout == 0.0  # YAML overrides the dataclass default 0.05
    assert recipe.data.mixture == "temperature"  # default kept
    over = load_recipe(
        "globmed-llm-tiny/sft/config_lora.yaml",
        ["sft.learning_rate=1e-4", "lora.r=4", "data.languages=en,sw", "max_steps=7", "data.weights={sw: 2}"],
    )
    assert over.sft["learning_rate"] == pytest.approx(1e-4) and isinstance(over.sft["learning_rate"], float)
    assert over.lora.r == 4 and default_r == 16
    assert over.data.languages == ["en", "sw"]
    assert over.sft["max_steps"] == 7
    assert over.data.weights == {"sw": 2}


def test_every_dataclass_field_has_help():
    for cls in BLOCKS.values():
        for f in dataclasses.fields(cls):
            assert f.metadata.get("help"), f"{cls.__name__}.{f.name} has no help"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["sft.learnin_rate=1"], "unknown sft (trl.SFTConfig) key 'learnin_rate'; did you mean 'learning_rate'?"),
        (["learning_rat=1"], "unknown --set key 'learning_rat'; did you mean 'learning_rate'?"),
        (["lora.rank=3"], "unknown lora key 'rank'"),
        (["modle.method=full"], "unknown --set block 'modle'; did you mean 'model'?"),
        (["sft.max_steps=abc"], "sft.max_steps: expected int, got 'abc'"),
        (["model.method=qlorra"], "model.method 'qlorra': expected one of lora, qlora, full"),
        (["sft.output_dir=/tmp/x"], "sft.output_dir is set by globmed train"),
        (["seed"], "expected key=value"),
        (["seed=3"], "ambiguous"),
    ],
)
def test_bad_overrides_name_the_key(overrides, message):
    with pytest.raises(GlobMedError, match=None) as info:
        load_recipe("globmed-llm-tiny/sft/config_lora.yaml", overrides)
    assert message in str(info.value)


def test_unknown_yaml_key_is_named(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("model:\n  base_model: tiny\nsft:\n  packing: true\n  max_seq_length: 512\n")
    with pytest.raises(GlobMedError, match=r"unknown sft \(trl.SFTConfig\) key 'max_seq_length'"):
        load_recipe(bad)
    bad.write_text("model:\n  nmae: x\n")
    with pytest.raises(GlobMedError, match="unknown model key 'nmae'; did you mean 'name'"):
        load_recipe(bad)
    bad.write_text("trainer:\n  x: 1\n")
    with pytest.raises(GlobMedError, match=r"unknown .*block 'trainer'"):
        load_recipe(bad)
    with pytest.raises(GlobMedError, match="no such file"):
        load_recipe(tmp_path / "missing.yaml")


def test_coerce_types():
    assert coerce("2e-4", float, "k") == pytest.approx(2e-4)
    assert coerce(3, float, "k") == 3.0
    assert coerce("true", bool, "k") is True
    assert coerce(None, int | None, "k") is None
    with pytest.raises(GlobMedError, match="expected true or false"):
        coerce("maybe", bool, "k")
    with pytest.raises(GlobMedError, match="expected an integer"):
        coerce(2.5, int, "k")
    assert parse_set(["data.tasks=mcqa,nli"]) == {"data": {"tasks": "mcqa,nli"}}
