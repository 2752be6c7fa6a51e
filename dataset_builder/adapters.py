"""Adapters turn one raw row of a source into a `Draft` (our fields, answer not yet resolved).

A source either names an adapter function (`adapter: globmed_native`) or gives a generic `fields:` mapping,
so most new sources need YAML only. Adapters do not judge quality: they return what the row says, and the
quality filters (dataset_builder.quality) keep it or reject it with a reason.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dataset_builder.answers import NONE, Answer, option_keys, parse_answer, parse_options
from dataset_builder.normalise import clean_option, clean_text, strip_stray_quote
from globmed.errors import GlobMedError
from globmed.registry import Registry
from globmed.schema import OPTION_LETTERS

logger = logging.getLogger(__name__)

NLI_LABELS = ["entailment", "neutral", "contradiction"]
_NLI_SYNONYMS = {
    "entailment": "entailment", "entails": "entailment", "entailed": "entailment", "pos": "entailment",
    "neutral": "neutral", "contradiction": "contradiction", "contradicts": "contradiction", "neg": "contradiction",
}
_FIELD_KEYS = {
    "id", "context", "question", "options", "option_key", "answer", "answer_format", "answer_base", "labels",
    "explanation", "needs_image", "translation", "fixed_options", "absent_option_values", "option_id",
}
_KEY_LIST = re.compile(r"\s*(?:[,;/|+&]|\band\b|\bor\b)\s*")
# Option cells that mean "no option here" (a 4-option row in a 5-column file). Everywhere: JSON null, NaN and
# empty cells. In CSV/TSV, which have no null, also the placeholders that exports write for a missing value
# ("None", "null", "nan"). Not in JSON or parquet: there a missing value is null, so the string "None" is text,
# and real exams use it as an option (MedMCQA: "Both" / "None" in 41 questions of its dev split).
# `absent_option_values:` adds a source's own ("-", "N/A", or "None" for a JSON file written with str()).
PLACEHOLDER_FORMATS = ("csv", "tsv")
TEXT_PLACEHOLDERS = frozenset({"none", "null", "nan"})


class MissingField(Exception):
    """A row lacks a field the mapping needs; the row is rejected as malformed_row."""


@dataclass
class Draft:
    """One adapted row: text fields cleaned, options cleaned, answer classified but not resolved."""

    source_id: str
    question: str
    context: str = ""
    options: list[str] = field(default_factory=list)
    answer: Answer = NONE
    long_answer: str = ""  # lfqa only
    explanation: str = ""
    needs_image: bool = False
    translation: dict[str, Any] | None = None
    index: int = -1  # resolved answer index, set by the AnswerAmongOptions filter
    option_gap: str = ""  # letter of an absent option between present ones (rejected "option_gap")
    raw_answer: Any = None  # the answer as the row gives it, for reject details
    language: str = ""  # set by the reader before the filters run
    detail: str = ""  # why a filter dropped the row, when the reason alone does not say


class RowContext:
    """Where a row comes from, for id templates and messages (one per file, `row` updated per row)."""

    __slots__ = ("language", "row", "split", "variables")

    def __init__(self, language: str, split: str | None, row: int, variables: dict[str, str]) -> None:
        self.language = language
        self.split = split
        self.row = row
        self.variables = variables


Adapter = Callable[[dict[str, Any], RowContext], Draft]


def get_path(row: dict[str, Any], path: str) -> Any:
    """`a.b` looks into nested mappings; a missing key raises MissingField naming the row's keys."""
    if path in row:  # fast path: a top-level column
        return row[path]
    value: Any = row
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        else:
            raise MissingField(f"no field {path!r} (row has: {', '.join(sorted(map(str, row)))})")
    return value


def get_optional(row: dict[str, Any], path: str) -> Any:
    """`get_path`, with None for a missing field."""
    try:
        return get_path(row, path)
    except MissingField:
        return None


def _context(value: Any) -> str:
    """One context from a field or several (e.g. PubMedQA's list of abstract sections), blank-line separated."""
    if isinstance(value, list):
        return clean_text("\n\n".join(clean_text(v) for v in value if v))
    return clean_text(value)


def _join(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return "\n".join(clean_text(v) for v in value if v is not None)
    return value


class _TemplateValues(dict):
    """Values of an id template: the file's variables first, then the row's own top-level fields."""

    def __init__(self, values: dict[str, Any], row: dict[str, Any]) -> None:
        super().__init__(values)
        self.row = row

    def __missing__(self, key: str) -> Any:
        return clean_text(get_path(self.row, key))


class FieldMapping:
    """The generic, YAML-only adapter built from a source's `fields:` mapping (see the README).

    It counts what it normalised (`counts`: stray trailing quotes, absent trailing options dropped) so the
    build report shows every change made to a question.
    """

    def __init__(self, task: str, mapping: dict[str, Any], where: str, default_id: str = "{split}-{row}",
                 placeholders: bool = False) -> None:
        unknown = sorted(set(mapping) - _FIELD_KEYS)
        if unknown:
            known = ", ".join(sorted(_FIELD_KEYS))
            raise GlobMedError(f"{where}: unknown fields key(s) {', '.join(unknown)}; known: {known}")
        if "question" not in mapping:
            raise GlobMedError(f"{where}: fields needs at least question")
        if task == "mcqa" and (not ({"options", "fixed_options"} & set(mapping)) or "answer" not in mapping):
            raise GlobMedError(f"{where}: an mcqa source needs fields options and answer")
        if task in ("nli", "lfqa") and "answer" not in mapping:
            raise GlobMedError(f"{where}: an {task} source needs field answer")
        self.task = task
        self.m = mapping
        self.id = str(mapping.get("id", default_id))
        self.answer_format = mapping.get("answer_format", "auto")
        if self.answer_format not in ("auto", "letter", "index", "text", "key"):
            raise GlobMedError(f"{where}: answer_format must be auto, letter, index, text or key")
        self.answer_base = int(mapping.get("answer_base", 0))
        labels = mapping.get("labels") or {}
        self.labels = {str(k).strip().casefold(): v for k, v in labels.items()}
        image = mapping.get("needs_image")
        if image is not None and (not isinstance(image, dict) or "field" not in image):
            raise GlobMedError(f"{where}: needs_image must be {{field: F, when: VALUE | nonempty}}")
        self.image = image
        self.id_is_template = "{" in self.id
        self.option_columns = mapping.get("options") if isinstance(mapping.get("options"), list) else None
        self.option_key = mapping.get("option_key")
        self.option_id = mapping.get("option_id")  # the field naming each option of a list of dicts (HEAD-QA aid)
        self.fixed_options = list(mapping["fixed_options"]) if "fixed_options" in mapping else None
        extra = mapping.get("absent_option_values") or []
        if not isinstance(extra, list):
            raise GlobMedError(f"{where}: absent_option_values must be a list, e.g. ['-', 'N/A']")
        self.absent = {""} | (TEXT_PLACEHOLDERS if placeholders else set()) | {clean_text(v).casefold() for v in extra}
        self.absent_len = max(map(len, self.absent))
        self.counts: Counter[str] = Counter()
        self.index_seen: Counter[str] = Counter()  # where index answers fall, to catch a wrong answer_base

    def _get(self, row: dict[str, Any], key: str, default: Any = "", required: bool = False, join: bool = True
             ) -> Any:
        """A mapped field. Optional ones (context, explanation) read as "" when a row lacks them."""
        spec = self.m.get(key)
        if spec is None:
            return default
        if type(spec) is str and spec in row:  # fast path
            value = row[spec]
            return _join(value) if join and isinstance(value, (list, tuple)) else value
        conv = _join if join else (lambda v: v)
        try:
            if isinstance(spec, list):
                return [conv(get_path(row, p)) for p in spec]
            return conv(get_path(row, spec))
        except MissingField:
            if required:
                raise
            return default

    def _text(self, value: Any, option: bool = False) -> str:
        """A cleaned text field; a stray trailing quote (CSV export residue) is removed and counted."""
        text = clean_option(value) if option else clean_text(value)
        if text.endswith('"'):
            fixed = strip_stray_quote(text)
            if fixed != text:
                self.counts["stray_trailing_quote"] += 1
                return fixed
        return text

    def source_id(self, row: dict[str, Any], ctx: RowContext) -> str:
        if self.id_is_template:
            values = {**ctx.variables, "row": ctx.row, "lang": ctx.language, "split": ctx.split or "all"}
            return self.id.format_map(_TemplateValues(values, row))
        return clean_text(get_path(row, self.id))

    def is_absent(self, value: Any) -> bool:
        if isinstance(value, str):  # the common case first, and only short cells can be placeholders
            stripped = value.strip()
            return not stripped or (len(stripped) <= self.absent_len and stripped.casefold() in self.absent)
        return value is None or (isinstance(value, float) and math.isnan(value))

    def __call__(self, row: dict[str, Any], ctx: RowContext) -> Draft:
        draft = Draft(
            source_id=self.source_id(row, ctx),
            question=self._text(self._get(row, "question", required=True)),
            context=_context(self._get(row, "context")),
            explanation=self._text(self._get(row, "explanation")),
        )
        if self.image is not None:
            value = get_optional(row, self.image["field"])
            when = self.image.get("when", "nonempty")
            draft.needs_image = bool(value) if when == "nonempty" else value == when
        if "translation" in self.m:
            raw = get_path(row, self.m["translation"])
            draft.translation = raw if isinstance(raw, dict) else None
        raw_answer = get_optional(row, self.m["answer"])  # a row without its answer field has no answer
        if self.labels and isinstance(raw_answer, (str, int, float, bool)):
            raw_answer = self.labels.get(str(raw_answer).strip().casefold(), raw_answer)
        if self.task == "mcqa":
            self._options(row, raw_answer, draft)
        elif self.task == "nli":
            draft.options = list(NLI_LABELS)
            draft.answer = nli_answer(raw_answer, {})
        else:
            draft.long_answer = self._text(_join(raw_answer))
            draft.answer = Answer("text", draft.long_answer) if draft.long_answer else NONE
        return draft

    def _options(self, row: dict[str, Any], raw_answer: Any, draft: Draft) -> None:
        """Options in letter order, absent ones dropped at the end and flagged in the middle (never shifted),
        and the answer classified against them (a key of dict-shaped options resolves to that key's option)."""
        keys = None
        if self.fixed_options is not None:  # e.g. PubMedQA: yes / no / maybe for every row
            raw_options = self.fixed_options
        elif self.option_columns is not None:  # columns A..J: a column the row lacks is an absent option
            raw_options = [get_optional(row, col) for col in self.option_columns]
            keys = [str(col) for col in self.option_columns]  # an answer may name its column ("opb", "2")
        else:
            raw_options = self._get(row, "options", None, required=True, join=False)
            keys = option_keys(raw_options)
            if self.option_id and isinstance(raw_options, list):
                keys = [str(o.get(self.option_id, "")).strip() if isinstance(o, dict) else "" for o in raw_options]
        options = parse_options(raw_options, self.option_key)
        if options is None:
            raise MissingField(f"options field has an unknown shape ({type(raw_options).__name__})")
        absent = [self.is_absent(o) for o in options]
        while absent and absent[-1]:
            absent.pop()
            options.pop()
            if keys:
                keys.pop()
            self.counts["absent_options_dropped"] += 1
        if any(absent):
            draft.option_gap = OPTION_LETTERS[absent.index(True)]
        draft.options = [self._text(o, option=True) for o in options]
        draft.raw_answer = raw_answer
        scalar = isinstance(raw_answer, (str, int)) and not isinstance(raw_answer, bool)
        key = str(raw_answer).strip() if scalar else None
        several = [k for k in _KEY_LIST.split(key) if k] if keys and key is not None else []
        listed = len(several) > 1 and all(k in keys for k in several)  # "option1,option3": several answers
        if keys and key is not None and (self.answer_format == "key" or (
                self.answer_format == "auto" and (key in keys or listed or self.option_id))):
            if key in keys:
                draft.answer = Answer("index", keys.index(key))
            elif listed:
                draft.answer = Answer("multi", len(set(several)))
            else:
                draft.answer = Answer("text", key)
        else:
            draft.answer = parse_answer(raw_answer, self.answer_format, self.answer_base, draft.options)
            if draft.answer.kind == "index":
                index, count = draft.answer.value, len(draft.options)
                self.index_seen["first" if index == 0 else "past_end" if index == count else
                                "before_start" if index == -1 else "inside"] += 1

    def answer_base_problem(self) -> str | None:
        """A file whose index answers are clearly off by one (MedMCQA's `cop` is 1-based in the original files
        and 0-based on the Hub): never index 0 but often one past the last option, or often -1. Reading it with
        the wrong base would shift every letter silently, so the build stops instead."""
        seen = self.index_seen
        total = sum(seen.values())
        if total < 8:
            return None
        if seen["first"] == 0 and seen["past_end"] * 50 >= total:
            return (f"index answers look 1-based ({seen['past_end']} of {total} equal the option count, none is 0) "
                    f"but answer_base is {self.answer_base}; set answer_base: 1")
        if seen["before_start"] * 50 >= total and seen["past_end"] == 0:
            return (f"index answers look 0-based ({seen['before_start']} of {total} are 0) but answer_base is "
                    f"{self.answer_base}; set answer_base: 0")
        return None


def nli_answer(raw: Any, labels: dict[str, str]) -> Answer:
    """An NLI label mapped to the canonical English labels; unknown labels stay text (not among options)."""
    if isinstance(raw, (list, tuple)):
        return parse_answer(raw) if len(raw) != 1 else nli_answer(raw[0], labels)
    if raw is None or str(raw).strip().casefold() in ("", "-", "na", "none"):
        return NONE
    key = str(raw).strip().casefold()
    label = labels.get(key) or _NLI_SYNONYMS.get(key) or key
    return Answer("text", str(label))


# --- named adapters -------------------------------------------------------------------------------------------


def globmed_native(row: dict[str, Any], ctx: RowContext) -> Draft:
    """The native GlobMed record written by `globmed translate` (see SOURCES_CONTRACT)."""
    for key in ("id", "question", "answer_index"):
        if key not in row:
            raise MissingField(f"no field {key!r} (row has: {', '.join(sorted(map(str, row)))})")
    options = [clean_option(o) for o in (row.get("options") or [])]
    index = row.get("answer_index")
    answer_text = clean_text(row.get("answer"))
    if options:
        answer = Answer("index", int(index)) if isinstance(index, int) and index >= 0 else parse_answer(answer_text)
        if options == NLI_LABELS and answer.kind == "text":
            answer = nli_answer(answer_text, {})
    else:
        answer = Answer("text", answer_text) if answer_text else NONE
    provenance = row.get("translation") if isinstance(row.get("translation"), dict) else None
    return Draft(
        source_id=clean_text(row["id"]), question=clean_text(row["question"]), context=clean_text(row.get("context")),
        options=options, answer=answer, long_answer=answer_text if not options else "",
        explanation=clean_text(row.get("explanation")), translation=provenance,
    )


def expertqa(row: dict[str, Any], ctx: RowContext) -> Draft:
    """ExpertQA (r2_compiled_anon.jsonl): the expert-revised answer of the first answer system is the long answer."""
    answers = row.get("answers") or {}
    text = ""
    for _, ans in sorted(answers.items()):
        if isinstance(ans, dict):
            text = ans.get("revised_answer_string") or ans.get("answer_string") or ""
            if text:
                break
    question = row.get("question")
    if question is None:
        raise MissingField(f"no field 'question' (row has: {', '.join(sorted(row))})")
    clean = clean_text(text)
    sid = clean_text(row.get("question_id") or f"{ctx.split or 'all'}-{ctx.row}")
    return Draft(source_id=sid, question=clean_text(question), long_answer=clean,
                 answer=Answer("text", clean) if clean else NONE)


ADAPTERS: Registry[Adapter] = Registry("adapter")
ADAPTERS.register("globmed_native", globmed_native)
ADAPTERS.register("expertqa", expertqa)


def make_adapter(spec, language: str | None = None) -> Adapter:
    """The callable for a SourceSpec: its named adapter or its compiled field mapping; with `language`, the
    mapping of that language's `parallel_fields` (the source's `fields:` with that language's overrides)."""
    if spec.adapter:
        return ADAPTERS.get(spec.adapter)
    mapping = spec.fields if language is None else {**spec.fields, **spec.parallel_fields[language]}
    return FieldMapping(spec.task, mapping, spec.where(), spec.default_id(), spec.format in PLACEHOLDER_FORMATS)


def check_spec(spec) -> None:
    """Fail at load time (one line) on an unknown adapter or a bad mapping, not in the middle of a build."""
    if spec.adapter:
        if spec.adapter not in ADAPTERS:
            raise GlobMedError(f"{spec.where()}: {ADAPTERS.unknown_message(spec.adapter)}")
    else:
        if not isinstance(spec.fields, dict):
            raise GlobMedError(f"{spec.where()}: fields must be a mapping")
        for language in [None, *spec.parallel_fields]:
            make_adapter(spec, language)
