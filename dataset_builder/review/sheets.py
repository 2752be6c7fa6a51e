"""Expert review sheets: a stratified sample out as CSV, filled scores and revisions back in.

A sheet has one row per sampled item: the English source and the machine translation rendered as labelled text
(`Question: ...`, `A) ...`, `Answer: C`), empty 1-5 scores for Accuracy, Fluency and Completeness, an
Expert_Revised cell (the corrected translation in the same labelled form, or empty) and a Comment. Import checks
every cell and reports every bad one (file, row, column) before changing anything.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any

from globmed.schema import OPTION_LETTERS

COLUMNS = (
    "Item_ID",
    "Language",
    "Source",
    "Task",
    "Split",
    "English_Source",
    "Machine_Translation",
    "Accuracy",
    "Fluency",
    "Completeness",
    "Expert_Revised",
    "Comment",
)
SCORES = ("Accuracy", "Fluency", "Completeness")
_LABELS = {"context": "Context", "question": "Question", "answer": "Answer", "explanation": "Explanation"}
_OPTION = re.compile(r"^([A-J])\)\s?(.*)$")
_LABEL = re.compile(r"^(Context|Question|Answer|Label|Explanation):\s?(.*)$")


def render(row: dict[str, Any], task: str) -> str:
    """A native record as labelled text a reviewer can read and edit."""
    lines = []
    if row.get("context"):
        lines.append(f"Context: {row['context']}")
    lines.append(f"Question: {row['question']}")
    if task == "mcqa":
        lines += [f"{OPTION_LETTERS[i]}) {o}" for i, o in enumerate(row["options"])]
        lines.append(f"Answer: {OPTION_LETTERS[row['answer_index']]}")
    elif task == "nli":
        lines.append(f"Label: {row['answer']}")
    else:
        lines.append(f"Answer: {row['answer']}")
    if row.get("explanation"):
        lines.append(f"Explanation: {row['explanation']}")
    return "\n".join(lines)


class RevisionError(ValueError):
    """An Expert_Revised cell that cannot be applied; the message says what to fix."""


def parse_revision(text: str, original: dict[str, Any], task: str) -> dict[str, Any]:
    """Labelled text back into a record's text fields; the answer key and the option count may not change."""
    fields: dict[str, str] = {}
    options: list[tuple[str, str]] = []
    current: list[str] | None = None
    for lineno, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if m := _OPTION.match(line):
            options.append((m[1], m[2]))
            current = ["option", str(len(options) - 1)]
        elif m := _LABEL.match(line):
            key = m[1].lower()
            if key in fields:
                raise RevisionError(f"label {m[1]}: appears twice")
            fields[key] = m[2]
            current = ["field", key]
        elif current is None:
            if line.strip():
                raise RevisionError(f"line {lineno} starts with no label (Question:, A), Answer: ...)")
        elif current[0] == "option":
            letter, value = options[int(current[1])]
            options[int(current[1])] = (letter, f"{value}\n{line}")
        else:
            fields[current[1]] += f"\n{line}"
    revised = dict(original)
    if "question" not in fields or not fields["question"].strip():
        raise RevisionError("no 'Question:' line")
    for key in ("context", "question", "explanation"):
        if key in fields:
            revised[key] = fields[key].strip()
        elif key != "question" and original.get(key):
            raise RevisionError(f"'{_LABELS[key]}:' line missing (the translation has one)")
    if task == "mcqa":
        letters = [letter for letter, _ in options]
        expected = list(OPTION_LETTERS[: len(original["options"])])
        if letters != expected:
            raise RevisionError(
                f"options must be {', '.join(x + ')' for x in expected)} in order, got {', '.join(letters) or 'none'}"
            )
        answer = fields.get("answer", "").strip()
        if answer != OPTION_LETTERS[original["answer_index"]]:
            raise RevisionError(
                f"'Answer:' must stay {OPTION_LETTERS[original['answer_index']]} (got {answer!r}); "
                "revise the wording, not the key"
            )
        revised["options"] = [value.strip() for _, value in options]
        revised["answer"] = revised["options"][original["answer_index"]]
    elif task == "nli":
        if options:
            raise RevisionError("NLI items have no options")
        if fields.get("label", "").strip() != original["answer"]:
            raise RevisionError(f"'Label:' must stay {original['answer']}")
    else:
        if options:
            raise RevisionError("long-form items have no options")
        if not fields.get("answer", "").strip():
            raise RevisionError("no 'Answer:' line")
        revised["answer"] = fields["answer"].strip()
    return revised


@dataclass(frozen=True)
class Candidate:
    item_id: str  # "<source>:<split>:<id>"
    source: str
    task: str
    split: str
    english: dict[str, Any]
    translated: dict[str, Any]


def stratified_sample(candidates: list[Candidate], n: int, seed: int) -> list[Candidate]:
    """About `n` items, spread over sources in proportion to their size (each non-empty source gets one or more)."""
    strata: dict[str, list[Candidate]] = {}
    for cand in candidates:
        strata.setdefault(cand.source, []).append(cand)
    total = len(candidates)
    if n >= total:
        return list(candidates)
    quotas = {s: max(1, n * len(v) / total) for s, v in strata.items()}
    alloc = {s: min(len(strata[s]), int(q)) for s, q in quotas.items()}
    spare = n - sum(alloc.values())
    for s in sorted(quotas, key=lambda s: (-(quotas[s] - int(quotas[s])), s)):
        if spare <= 0:
            break
        if alloc[s] < len(strata[s]):
            alloc[s] += 1
            spare -= 1
    rng = random.Random(seed)
    picked: list[Candidate] = []
    for source in sorted(strata):
        picked += sorted(rng.sample(strata[source], alloc[source]), key=lambda c: c.item_id)
    return picked
