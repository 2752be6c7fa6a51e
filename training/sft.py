"""The SFT entry point, top to bottom: seed, log the config, data, model, trainer, resume, train, save, push.

The same function runs on CPU for the tiny model and on one or many GPUs under `accelerate launch`
(DDP, FSDP2 or DeepSpeed ZeRO-3 configs in training/accelerate/): the Trainer picks up the distributed
state, and files outside the checkpoints are written by the main process only.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from globmed.errors import GlobMedError
from globmed.layout import DEFAULT_RELEASE_ROOT, dataset_dir
from globmed.outputs import check_output_dir
from training.config import Recipe
from training.data import load_training_data, training_texts
from training.export import check_push_possible, push_model, save_final_model
from training.model import build_tiny_base, check_quantization_possible, load_model, load_tokenizer, lora_config

logger = logging.getLogger(__name__)


@dataclass
class TrainResult:
    model_dir: Path
    output_dir: Path
    global_step: int
    start_step: int  # 0 for a fresh run, the checkpoint's step when resumed
    train_loss: float | None
    eval_loss: float | None
    initial_eval_loss: float | None


def work_dir(root: Path, recipe: Recipe) -> Path:
    """Checkpoints and scratch of one model: ROOT/work/train/<model_name>."""
    return Path(root) / "work" / "train" / recipe.globmed.model_name


def sft_config(recipe: Recipe, output_dir: Path):
    """The recipe's `trl.SFTConfig`, built here rather than at load time because building it checks the hardware."""
    from trl import SFTConfig

    kwargs = dict(recipe.sft)
    kwargs["chat_template_path"] = None  # already applied to the tokenizer (resolved against the repo root)
    try:
        return SFTConfig(output_dir=str(output_dir), **kwargs)
    except ValueError as err:
        if "bf16" in str(err) or "use_cpu" in str(err):
            raise GlobMedError(
                f"{recipe.path}: {err} (this recipe is for GPUs; on CPU use the globmed-llm-tiny recipe or "
                "--set bf16=false --set use_cpu=true)"
            ) from None
        raise GlobMedError(f"{recipe.path}: rejected by trl.SFTConfig: {err}") from None


def resolve_dataset(dataset: str | Path | None, root: Path) -> str:
    """The dataset folder or Hub id; ROOT/globmed by default, which must exist (it is never taken for a Hub id)."""
    if dataset is None:
        local = dataset_dir(root)
        if not local.is_dir():
            raise GlobMedError(f"dataset {local}: no such folder; build it with `globmed build --out {root}` "
                               "or pass --dataset DIR_OR_REPO")
        return str(local)
    text = str(dataset)
    path = Path(text)
    looks_local = path.is_absolute() or text.startswith(".") or text.count("/") != 1
    if looks_local and not path.exists():
        raise GlobMedError(f"dataset {text}: no such folder (a Hub dataset is given as ORG/NAME)")
    return text


def last_checkpoint(output_dir: Path) -> Path | None:
    from transformers.trainer_utils import get_last_checkpoint

    if not output_dir.is_dir():
        return None
    found = get_last_checkpoint(str(output_dir))
    return Path(found) if found else None


def run_training(
    recipe: Recipe,
    out_root: str | Path = DEFAULT_RELEASE_ROOT,
    dataset: str | Path | None = None,
    resume: bool = False,
    push_to_hub: str | None = None,
    after_save: Callable[[Path], object] | None = None,
    overwrite: bool = False,
) -> TrainResult:
    """Fine-tune per the recipe; the merged model lands in ROOT/<model_name>. See the module docstring.

    `after_save(model_dir)` runs on the main process once the merged folder is complete and before the push
    (the place for the model card writer). The model folder is checked first (globmed.outputs): `overwrite`
    is needed to replace a folder that train did not write.
    """
    root = Path(out_root)
    final_dir = root / recipe.globmed.model_name
    check_output_dir(final_dir, "train", overwrite, replaces=True)
    from transformers import set_seed

    check_quantization_possible(recipe)
    if push_to_hub:
        check_push_possible(push_to_hub)
    seed = int(recipe.sft.get("seed", 42))
    set_seed(seed)
    logger.info("recipe %s (-v prints every resolved key)", recipe.path)
    logger.debug("resolved recipe %s:\n%s", recipe.path, yaml.safe_dump(recipe.to_dict(), sort_keys=False).rstrip())

    dataset = resolve_dataset(dataset or recipe.script.dataset_name, root)
    data = load_training_data(dataset, recipe.globmed)
    output_dir = work_dir(root, recipe)

    checkpoint = None
    if resume:
        checkpoint = last_checkpoint(output_dir)
        if checkpoint is None:
            raise GlobMedError(f"--resume: no checkpoint-* folder in {output_dir}; run without --resume to start")
        logger.info("resuming from %s", checkpoint)
    elif last_checkpoint(output_dir) is not None:
        logger.warning("%s holds checkpoints of an earlier run; starting over (pass --resume to continue)", output_dir)
        for old in output_dir.glob("checkpoint-*"):
            shutil.rmtree(old)

    config = sft_config(recipe, output_dir)
    if recipe.is_tiny:
        base = str(build_tiny_base(recipe, output_dir / "base_model", training_texts(data)))
    else:
        base = recipe.model.model_name_or_path
    tokenizer = load_tokenizer(base, recipe)
    model = load_model(base, recipe)
    peft = lora_config(recipe, model) if recipe.model.use_peft else None

    from trl import SFTTrainer

    trainer = SFTTrainer(
        model=model, args=config, train_dataset=data.train, eval_dataset=data.eval,
        processing_class=tokenizer, peft_config=peft,
    )
    initial_eval = None
    if data.eval is not None and not checkpoint:
        initial_eval = trainer.evaluate()["eval_loss"]
        logger.info("eval loss before training: %.4f", initial_eval)
    start_step = _checkpoint_step(checkpoint)
    output = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    trainer.save_state()
    eval_loss = trainer.evaluate()["eval_loss"] if data.eval is not None else None
    if eval_loss is not None:
        logger.info("eval loss after training: %.4f%s", eval_loss,
                    f" (was {initial_eval:.4f})" if initial_eval is not None else "")

    metrics = {
        "train_loss": output.metrics.get("train_loss"), "eval_loss": eval_loss, "initial_eval_loss": initial_eval,
        "train_runtime": output.metrics.get("train_runtime"),
    }
    save_final_model(trainer, recipe, base, final_dir, output_dir, dataset, data, metrics, overwrite)
    if after_save is not None and trainer.is_world_process_zero():
        after_save(final_dir)
    if push_to_hub and trainer.is_world_process_zero():
        push_model(final_dir, push_to_hub)
    return TrainResult(
        model_dir=final_dir, output_dir=output_dir, global_step=trainer.state.global_step, start_step=start_step,
        train_loss=metrics["train_loss"], eval_loss=eval_loss, initial_eval_loss=initial_eval,
    )


def _checkpoint_step(checkpoint: Path | None) -> int:
    if checkpoint is None:
        return 0
    try:
        return int(checkpoint.name.rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return 0
