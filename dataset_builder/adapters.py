"""Adapters turn one raw row of a source into a `Draft` (our fields, answer not yet resolved).

A source either names an adapter function (`adapter: globmed_native`) or gives a generic `fields:` mapping,
so most new sources need YAML only. Adapters do not judge quality: they return what the row says, and the
quality filters (dataset_builder.quality) keep it or reject it with a reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dataset_builder.answers import NONE, Answer, parse_answer, parse_options
from dataset_builder.normalise import clean_option, clean_text
from globmed.errors import GlobMedError
from globmed.registry import Registry

logger = logging.getLogger(__name__)

NLI_LABELS = ["entailment", "neutral", "contradiction"]
_NLI_SYNONYMS = {
    "entailment": "entailment", "entails": "entailment", "entailed": "entailment", "pos": "entailment",
    "neutral": "neutral", "contradiction": "contradiction", "contradicts": "contradiction", "neg": "contradiction",
}
_FIELD_KEYS = {
    "id", "context", "question", "options", "option_key", "answer", "answer_format", "answer_base", "labels",
    "explanation", "needs_image", "translation", "fixed_options",
}


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


def _optional(row: dict[str, Any], path: str) -> Any:
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


class FieldMapping:
    """The generic, YAML-only adapter built from a source's `fields:` mapping (see the README)."""

    def __init__(self, task: str, mapping: dict[str, Any], where: str) -> None:
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
        self.id = str(mapping.get("id", "{split}-{row}"))
        self.answer_format = mapping.get("answer_format", "auto")
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
        self.fixed_options = list(mapping["fixed_options"]) if "fixed_options" in mapping else None

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

    def source_id(self, row: dict[str, Any], ctx: RowContext) -> str:
        if self.id_is_template:
            values = {**ctx.variables, "row": ctx.row, "lang": ctx.language, "split": ctx.split or "all"}
            return self.id.format(**values)
        return clean_text(get_path(row, self.id))

    def __call__(self, row: dict[str, Any], ctx: RowContext) -> Draft:
        draft = Draft(
            source_id=self.source_id(row, ctx),
            question=clean_text(self._get(row, "question", required=True)),
            context=_context(self._get(row, "context")),
            explanation=clean_text(self._get(row, "explanation")),
        )
        if self.image is not None:
            try:
                value = get_path(row, self.image["field"])
            except MissingField:
                value = None
            when = self.image.get("when", "nonempty")
            draft.needs_image = bool(value) if when == "nonempty" else value == when
        if "translation" in self.m:
            raw = get_path(row, self.m["translation"])
            draft.translation = raw if isinstance(raw, dict) else None
        raw_answer = get_path(row, self.m["answer"])
        if self.task == "mcqa":
            if self.fixed_options is not None:  # e.g. PubMedQA: yes / no / maybe for every row
                raw_options = self.fixed_options
            elif self.option_columns is not None:  # columns A..J: a column the row lacks is an absent option
                raw_options = [_optional(row, col) for col in self.option_columns]
            else:
                raw_options = self._get(row, "options", None, required=True, join=False)
            options = parse_options(raw_options, self.option_key)
            if options is None:
                raise MissingField(f"options field has an unknown shape ({type(raw_options).__name__})")
            if self.option_columns is not None:  # missing trailing columns are absent options
                while options and (options[-1] is None or str(options[-1]).strip() == ""):
                    options.pop()
            draft.options = [clean_option(o) for o in options]
            draft.answer = parse_answer(raw_answer, self.answer_format, self.answer_base, draft.options)
        elif self.task == "nli":
            draft.options = list(NLI_LABELS)
            draft.answer = nli_answer(raw_answer, self.labels)
        else:
            draft.long_answer = clean_text(_join(raw_answer))
            draft.answer = Answer("text", draft.long_answer) if draft.long_answer else NONE
        return draft


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


def make_adapter(spec) -> Adapter:
    """The callable for a SourceSpec: its named adapter or its compiled field mapping."""
    if spec.adapter:
        return ADAPTERS.get(spec.adapter)
    return FieldMapping(spec.task, spec.fields, spec.where())


def check_spec(spec) -> None:
    """Fail at load time (one line) on an unknown adapter or a bad mapping, not in the middle of a build."""
    if spec.adapter:
        if spec.adapter not in ADAPTERS:
            raise GlobMedError(f"{spec.where()}: {ADAPTERS.unknown_message(spec.adapter)}")
    else:
        if not isinstance(spec.fields, dict):
            raise GlobMedError(f"{spec.where()}: fields must be a mapping")
        FieldMapping(spec.task, spec.fields, spec.where())
