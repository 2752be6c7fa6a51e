"""Training's declarative files for `globmed validate`: flat recipes (every key through TRL's parser), accelerate
configs, the per-language prompt table, and the training turns of each task file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from globmed.validation import FileKind, keys_of, package_dir, plural


def check_recipe(path: Path, data: Any) -> str:
    from training.config import load_recipe

    recipe = load_recipe(path)  # every key is checked by TRL's parser (SFTConfig, ModelConfig, ScriptArguments + ours)
    return (f"{recipe.globmed.model_name}, {recipe.method} on {recipe.model.model_name_or_path}, "
            f"{len(recipe.given)} keys")


def check_accelerate(path: Path, data: Any) -> str:
    from accelerate.commands.config.config_args import ClusterConfig

    config = ClusterConfig.from_yaml_file(str(path))  # what `accelerate launch --config_file` reads
    kind = getattr(config.distributed_type, "value", config.distributed_type)
    return f"{kind}, {plural(config.num_processes, 'process')}, mixed precision {config.mixed_precision}"


def check_training_prompts(path: Path, data: Any) -> str:
    from globmed.languages import language_codes
    from training.formatting import load_prompts, prompts_for

    load_prompts.cache_clear()
    table = load_prompts(str(path))
    for code in language_codes():
        prompts_for(code, str(path))  # every registry language needs its prompts
    return f"{len(table)} languages"


def check_task_training_turns(path: Path, data: Any) -> str:
    """A task file's training turns compile in every language's words of training/prompts.yaml."""
    from globmed.tasks import compiles, parse_task
    from training.formatting import load_prompts

    task = parse_task(data, str(path))
    for code, prompts in load_prompts().items():
        for key in ("user", "assistant"):
            compiles(getattr(task.training, key), prompts.words, f"training.{key} in {code}")
    return ""


def _is_recipe(data: Any) -> bool:
    from dataclasses import fields

    from training.config import GlobMedArguments

    keys = keys_of(data)
    return "model_name_or_path" in keys or bool(keys & {f.name for f in fields(GlobMedArguments)})


def _training(*parts: str) -> Path:
    return package_dir("training").joinpath(*parts)


FILE_KINDS = [
    FileKind("training-prompts", check_training_prompts, lambda: [_training("prompts.yaml")],
             lambda data: isinstance(data, dict) and bool(data)
             and all(isinstance(v, dict) and "system" in v for v in data.values())),
    FileKind("recipe", check_recipe, lambda: sorted(_training("recipes").glob("*/sft/*.yaml")), _is_recipe),
    FileKind("accelerate", check_accelerate, lambda: sorted(_training("accelerate").glob("*.yaml")),
             lambda data: bool(keys_of(data) & {"compute_environment", "distributed_type"})),
    FileKind("task", check_task_training_turns),
]
