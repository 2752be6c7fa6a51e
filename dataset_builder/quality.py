"""Quality filters: each answers "keep" or "drop, because <reason>", and counts what it saw.

Order matters when a row has several problems; the first failing filter names the reason:
empty_question, script_mismatch, needs_missing_image, no_answer, several_correct_answers, option_gap,
too_few_options, too_many_options, answer_not_among_options. (Earlier stages give malformed_row,
language_not_in_registry, language_not_selected, not_selected and source_flagged; later ones duplicate_id,
exact_duplicate, near_duplicate and test_contamination.) A filter may explain itself in `draft.detail`, which
goes into the reject.
"""

from __future__ import annotations

from collections import Counter

from dataset_builder.adapters import Draft
from dataset_builder.scripts import script_mismatch
from globmed.schema import MAX_OPTIONS

# Every reason a row can be rejected with, in pipeline order (the README table lists them too).
REASONS = (
    "malformed_row", "language_not_in_registry", "language_not_selected", "not_selected", "source_flagged",
    "empty_question", "script_mismatch", "needs_missing_image", "no_answer", "several_correct_answers", "option_gap",
    "too_few_options", "too_many_options", "answer_not_among_options",
    "duplicate_id", "exact_duplicate", "near_duplicate", "test_contamination",
)


class Filter:
    """Base filter: subclasses implement `check`; `apply_filters` runs the chain and counts per reason."""

    name = "filter"

    def __init__(self) -> None:
        self.seen = 0
        self.kept = 0
        self.dropped: Counter[str] = Counter()

    def check(self, draft: Draft, task: str) -> str | None:
        """None to keep, else the reason to drop."""
        raise NotImplementedError


class EmptyQuestion(Filter):
    name = "empty_question"

    def check(self, draft: Draft, task: str) -> str | None:
        return "empty_question" if not draft.question else None


class ScriptMatch(Filter):
    """The question is written in its language's script (a row filed under the wrong language is caught here,
    e.g. a Japanese question whose language column says KR)."""

    name = "script_mismatch"

    def check(self, draft: Draft, task: str) -> str | None:
        why = script_mismatch(draft.question, draft.language) if draft.language else None
        if why is None:
            return None
        draft.detail = why
        return "script_mismatch"


class NeedsImage(Filter):
    name = "needs_missing_image"

    def check(self, draft: Draft, task: str) -> str | None:
        return "needs_missing_image" if draft.needs_image else None


class HasAnswer(Filter):
    name = "no_answer"

    def check(self, draft: Draft, task: str) -> str | None:
        return "no_answer" if draft.answer.kind == "none" else None


class SingleAnswer(Filter):
    name = "several_correct_answers"

    def check(self, draft: Draft, task: str) -> str | None:
        if draft.answer.kind != "multi":
            return None
        draft.detail = f"{draft.answer.value} answers: {draft.raw_answer!r}"
        return "several_correct_answers"


class OptionGap(Filter):
    """An absent option between present ones (A, B, <empty>, D): closing the gap would shift the letters."""

    name = "option_gap"

    def check(self, draft: Draft, task: str) -> str | None:
        if not draft.option_gap:
            return None
        draft.detail = f"option {draft.option_gap} is absent between present options"
        return "option_gap"


class OptionCount(Filter):
    """mcqa needs 2..10 options, none of them empty."""

    name = "option_count"

    def check(self, draft: Draft, task: str) -> str | None:
        if task != "mcqa":
            return None
        if len([o for o in draft.options if o]) < 2:
            return "too_few_options"
        if len(draft.options) > MAX_OPTIONS:
            return "too_many_options"
        if not all(draft.options):
            return "too_few_options"  # an empty option among others: the item is incomplete
        return None


class AnswerAmongOptions(Filter):
    """Resolves the answer to an index (stored on the draft as `index`) or drops the row."""

    name = "answer_not_among_options"

    def check(self, draft: Draft, task: str) -> str | None:
        if task == "lfqa":
            draft.index = -1
            return None
        index = draft.answer.resolve(draft.options)
        if index is None:
            draft.detail = f"answer {draft.answer.value!r} ({draft.answer.kind}) with {len(draft.options)} options"
            return "answer_not_among_options"
        draft.index = index
        return None


def default_filters() -> list[Filter]:
    return [EmptyQuestion(), ScriptMatch(), NeedsImage(), HasAnswer(), SingleAnswer(), OptionGap(), OptionCount(),
            AnswerAmongOptions()]


def apply_filters(filters: list[Filter], draft: Draft, task: str) -> str | None:
    """Run one draft through the chain (the fast path the reader uses); the first failing filter's reason."""
    for flt in filters:
        flt.seen += 1
        reason = flt.check(draft, task)
        if reason is not None:
            flt.dropped[reason] += 1
            return reason
        flt.kept += 1
    return None
