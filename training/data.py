"""Training data: the train and validation splits through `globmed.data.load_split`, mixed and formatted."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from globmed.data import load_split
from globmed.errors import GlobMedError
from globmed.languages import parse_languages
from globmed.tasks import task_names
from training.config import GlobMedArguments
from training.formatting import load_prompts, to_conversations
from training.mixture import MixturePlan, build_mixture, plan_mixture

logger = logging.getLogger(__name__)


@dataclass
class TrainingData:
    train: object  # datasets.Dataset with `messages`
    eval: object | None
    plan: MixturePlan
    languages: list[str]


def _load(dataset: str, split: str, languages: list[str], tasks: list[str]):
    import datasets

    parts = [load_split(dataset, split, language=lang, task=task) for lang in languages for task in tasks]
    parts = [p for p in parts if len(p)]
    return datasets.concatenate_datasets(parts) if parts else None


def load_training_data(dataset: str | Path, args: GlobMedArguments) -> TrainingData:
    """Load train + validation for the chosen languages and tasks, plan and build the mixture, format chats."""
    languages = parse_languages(args.languages)
    unknown_tasks = [t for t in args.tasks if t not in task_names()]
    if unknown_tasks:
        raise GlobMedError(f"tasks: unknown task {unknown_tasks[0]!r}; expected some of {', '.join(task_names())}")
    prompts = load_prompts(args.system_prompts)
    missing = [lang for lang in languages if lang not in prompts]
    if missing:
        table = args.system_prompts or "training/prompts.yaml"
        raise GlobMedError(f"no system prompt for {', '.join(missing)} in {table}; add an entry")

    train = _load(str(dataset), "train", languages, args.tasks)
    if train is None:
        raise GlobMedError(
            f"{dataset}: no train rows for languages {','.join(languages)} and tasks {','.join(args.tasks)}"
        )
    counts = {lang: 0 for lang in languages}
    for lang in train["language"]:
        counts[lang] += 1
    absent = [lang for lang, n in counts.items() if n == 0]
    if absent:
        logger.warning("no train rows for %s; they get no share of the mixture", ", ".join(absent))
    plan = plan_mixture(
        counts, total_rows=args.mixture_rows, strategy=args.mixture, temperature=args.mixture_temperature,
        weights=args.mixture_weights or {}, low_resource_upsample=args.low_resource_upsample,
    )
    for line in plan.table().splitlines():
        logger.info("%s", line)
    mixed = build_mixture(train, plan, seed=args.mixture_seed)

    validation = _load(str(dataset), "validation", languages, args.tasks)
    if validation is not None and args.max_eval_rows is not None and len(validation) > args.max_eval_rows:
        # a seeded subset keeps every language and task in proportion
        validation = validation.shuffle(seed=args.mixture_seed).select(range(args.max_eval_rows))
    if validation is None:
        logger.warning("%s: no validation rows; training runs without evaluation", dataset)

    train_chats = to_conversations(mixed, args.system_prompts).remove_columns(["language", "task"])
    eval_chats = None
    if validation is not None:
        eval_chats = to_conversations(validation, args.system_prompts).remove_columns(["language", "task"])
    present = [lang for lang in languages if counts[lang]]
    return TrainingData(train=train_chats, eval=eval_chats, plan=plan, languages=present)


def training_texts(data: TrainingData) -> list[str]:
    """Plain texts of the training chats, for training the tiny model's tokenizer."""
    return [m["content"] for row in data.train["messages"] for m in row]
