"""The SFT entry point, top to bottom: seed, log the config, data, model, trainer, resume, train, save, push.

The same function runs on CPU for the tiny model and on one or many GPUs under `accelerate launch`
(DDP, FSDP2 or DeepSpeed ZeRO-3 configs in training/accelerate/): the Trainer picks up the distributed
state, and files outside the checkpoints are written by the main process only.
"""

from __future__ import annotations

import json
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
from training.model import (
    build_tiny_base,
    check_full_precision_base,
    check_quantization_possible,
    load_model,
    load_tokenizer,
    lora_config,
)

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


def complete_checkpoints(output_dir: Path) -> tuple[list[Path], list[Path]]:
    """The `checkpoint-N` folders by step: (complete, incomplete).

    The Trainer writes a checkpoint file by file, `trainer_state.json` last, so a run killed while saving leaves a
    folder without a readable state; resuming from it fails, and the next save would mix its leftovers in.
    """
    from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR

    complete, incomplete = [], []
    if not output_dir.is_dir():
        return complete, incomplete
    for folder in sorted(output_dir.glob(f"{PREFIX_CHECKPOINT_DIR}-*"), key=_checkpoint_step):
        if not folder.is_dir() or not folder.name.rsplit("-", 1)[1].isdigit():
            continue
        try:
            json.loads((folder / "trainer_state.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            incomplete.append(folder)
        else:
            complete.append(folder)
    return complete, incomplete


def last_checkpoint(output_dir: Path) -> Path | None:
    """The newest complete checkpoint (see `complete_checkpoints`), or None."""
    complete, _ = complete_checkpoints(output_dir)
    return complete[-1] if complete else None


def clear_checkpoints(output_dir: Path, keep: Path | None) -> None:
    """Main process only: drop an earlier run's checkpoints (no `keep`), or those a killed save left incomplete."""
    complete, incomplete = complete_checkpoints(output_dir)
    for folder in incomplete:
        logger.warning("%s is incomplete (the run stopped while saving it); removing it", folder)
        shutil.rmtree(folder)
    if keep is None and complete:
        logger.warning("%s holds checkpoints of an earlier run; starting over (pass --resume to continue)", output_dir)
        for folder in complete:
            shutil.rmtree(folder)


@dataclass
class TrainingRun:
    """Everything `run_training` builds before the first step (bench/gpu_smoke.py times the steps itself)."""

    recipe: Recipe
    trainer: object  # trl.SFTTrainer
    base: str  # the base model: Hub id or folder
    dataset: str
    data: object  # training.data.TrainingData
    output_dir: Path
    final_dir: Path
    checkpoint: Path | None


def prepare_run(recipe: Recipe, out_root: str | Path = DEFAULT_RELEASE_ROOT, dataset: str | Path | None = None,
                resume: bool = False, push_to_hub: str | None = None, overwrite: bool = False) -> TrainingRun:
    """Checks, seed, data, base model and `SFTTrainer`, on every process; see `run_training`."""
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
            raise GlobMedError(f"--resume: no checkpoint in {output_dir} (a checkpoint-N folder with its "
                               "trainer_state.json); run without --resume to start")
        logger.info("resuming from %s", checkpoint)

    config = sft_config(recipe, output_dir)
    # Under `accelerate launch` the main process clears old checkpoints and builds the tiny base first; the others
    # wait, then find them done (two writers of one folder would collide).
    with config.main_process_first(local=False, desc="checkpoints and base model"):
        if config.should_save:
            clear_checkpoints(output_dir, keep=checkpoint)
        if recipe.is_tiny:
            base = str(build_tiny_base(recipe, output_dir / "base_model", training_texts(data)))
        else:
            base = recipe.model.model_name_or_path
    if recipe.model.use_peft:
        check_full_precision_base(base, recipe)
    tokenizer = load_tokenizer(base, recipe)
    model = load_model(base, recipe)
    peft = lora_config(recipe, model) if recipe.model.use_peft else None

    from trl import SFTTrainer

    trainer = SFTTrainer(
        model=model, args=config, train_dataset=data.train, eval_dataset=data.eval,
        processing_class=tokenizer, peft_config=peft,
    )
    return TrainingRun(recipe=recipe, trainer=trainer, base=base, dataset=dataset, data=data, output_dir=output_dir,
                       final_dir=final_dir, checkpoint=checkpoint)


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
    is needed to replace a folder that train did not write. `resume` continues from the newest complete
    checkpoint (one a kill left half-written is removed).
    """
    run = prepare_run(recipe, out_root, dataset, resume, push_to_hub, overwrite)
    trainer, data, checkpoint = run.trainer, run.data, run.checkpoint
    # The loss before training comes from the Trainer's own `eval_on_start`, inside `train()`: a `trainer.evaluate()`
    # before `train()` marks the model as prepared without wrapping it in DDP (transformers 5.24, accelerate 1.15),
    # and each rank then trains its own copy with no gradient synchronisation (tests/training/test_distributed.py).
    trainer.args.eval_on_start = data.eval is not None and not checkpoint
    start_step = _checkpoint_step(checkpoint)
    output = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    trainer.save_state()
    initial_eval, train_runtime = None, output.metrics.get("train_runtime")
    if trainer.args.eval_on_start:
        first = next(e for e in trainer.state.log_history if "eval_loss" in e)
        initial_eval = first["eval_loss"]
        logger.info("eval loss before training: %.4f", initial_eval)
        if train_runtime is not None:  # the Trainer counts that evaluation as training time
            train_runtime -= first.get("eval_runtime", 0.0)
    eval_loss = trainer.evaluate()["eval_loss"] if data.eval is not None else None
    if eval_loss is not None:
        logger.info("eval loss after training: %.4f%s", eval_loss,
                    f" (was {initial_eval:.4f})" if initial_eval is not None else "")

    metrics = {
        "train_loss": output.metrics.get("train_loss"), "eval_loss": eval_loss, "initial_eval_loss": initial_eval,
        "train_runtime": train_runtime,
    }
    save_final_model(trainer, recipe, run.base, run.final_dir, run.output_dir, run.dataset, data, metrics, overwrite)
    if after_save is not None and trainer.is_world_process_zero():
        after_save(run.final_dir)
    if push_to_hub and trainer.is_world_process_zero():
        push_model(run.final_dir, push_to_hub)
    return TrainResult(
        model_dir=run.final_dir, output_dir=run.output_dir, global_step=trainer.state.global_step,
        start_step=start_step, train_loss=metrics["train_loss"], eval_loss=eval_loss, initial_eval_loss=initial_eval,
    )


def _checkpoint_step(checkpoint: Path | None) -> int:
    """The step of a `checkpoint-N` folder (0 for none)."""
    if checkpoint is None:
        return 0
    try:
        return int(checkpoint.name.rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return 0
