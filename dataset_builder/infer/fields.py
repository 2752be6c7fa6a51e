"""Column roles for `sources infer`: which field is the question, context, options, answer, id, explanation,
image flag, language and withdrawal flag, and the task they add up to.

Names are matched against the hints in words.yaml (first hint wins); where no name fits, content decides (the
longest text is the question). Options and answers are left to `shapes`; this module picks the task:
options -> mcqa; NLI labels -> nli; yes/no/maybe words -> mcqa with the rows' own words as fixed options;
free text -> lfqa (never an id column). Options in only some rows with a type column telling those rows apart
give `select:`; columns pairing up as X and X_EN give `parallel_fields:`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from dataset_builder.adapters import NLI_LABELS, MissingField, get_path, nli_answer
from dataset_builder.infer.common import Guess, hint_rank, is_blank, norm, words
from dataset_builder.infer.language import (
    code_of,
    detect_language,
    is_code_token,
    language_column,
    language_order,
    name_code,
    registry_note,
)
from dataset_builder.infer.shapes import find_answer, find_options, options_mask
from globmed.errors import GlobMedError

_IDENT = re.compile(r"[A-Za-z0-9_\-./:]+")  # one ASCII token: a UUID, a hash, a path, a URL
_MNLI = {"0": "entailment", "1": "neutral", "2": "contradiction"}


@dataclass
class FieldDraft:
    """The guessed `fields:` of a source plus the row-level keys (language column, reject_when)."""

    task: Guess
    fields: dict[str, Guess]
    question: str
    id_field: str | None = None
    id_why: str = ""
    language: Guess | None = None  # language: {field, codes}
    column_languages: list[str] = field(default_factory=list)
    reject_when: Guess | None = None
    select: Guess | None = None  # select: {field, values}: the rows of the task (mcq rows beside free-text ones)
    parallel: Guess | None = None  # parallel_fields: {en: {question: question_EN, ...}}


def value_of(row: dict[str, Any], name: str) -> Any:
    """A field of a row, `a.b` looking into nested objects; None when the row lacks it."""
    try:
        return get_path(row, name)
    except MissingField:
        return None


def field_names(rows: list[dict[str, Any]]) -> list[str]:
    """Field names in first-seen order, plus `a.b` for the keys of nested objects (not option dicts)."""
    names: dict[str, None] = {}
    for row in rows:  # rows of several files: a field of one file only still counts
        for key, value in row.items():
            names.setdefault(str(key))
            if isinstance(value, dict) and not all(str(k).isdigit() or len(str(k)) == 1 for k in value):
                for sub in value:
                    names.setdefault(f"{key}.{sub}")
    return list(names)


def _text_stats(rows: list[dict[str, Any]], name: str) -> tuple[int, float]:
    """(rows with text, mean characters) of a field holding strings or lists of strings."""
    lengths = []
    for row in rows:
        value = value_of(row, name)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = " ".join(value)
        if isinstance(value, str) and value.strip():
            lengths.append(len(value))
    return len(lengths), (sum(lengths) / len(lengths) if lengths else 0.0)


def _pick_text(rows: list[dict[str, Any]], names: list[str], role: str, used: set[str]) -> Guess | None:
    ranks = hint_rank(role)
    for name in sorted((n for n in names if norm(n) in ranks and n not in used), key=lambda n: ranks[norm(n)]):
        filled, mean = _text_stats(rows, name)
        if filled:
            return Guess(name, f"{role} name; text in {filled}/{len(rows)} rows, mean {mean:.0f} chars")
    return None


def infer_fields(rows: list[dict[str, Any]], where: str, text_format: bool = False) -> FieldDraft:
    """Guess the `fields:` mapping of sample rows; a row shape with no question or answer is an error.
    `text_format`: the rows come from CSV/TSV (where a cell "None" means no option)."""
    names = field_names(rows)
    top = [n for n in names if "." not in n]
    options = find_options(rows, top, text_format)
    select = None
    if options is None and (picked := _select_options_rows(rows, top)) is not None:
        select, rows = picked  # infer the rest on the rows the source keeps
        options = find_options(rows, top, text_format)
    answer_ranks = hint_rank("answer")
    ids = {n for n in id_candidates(top, set()) if norm(n) not in answer_ranks}  # an id is never the answer
    used = set(options.columns) if options else set()
    question = _pick_text(rows, names, "question", used) or _longest_text(rows, names, used)
    if question is None:
        raise GlobMedError(f"{where}: no text field to use as the question (fields: {', '.join(names[:15])})")
    used.add(question.value)
    fields: dict[str, Guess] = {"question": question}
    if options is not None:
        found = find_answer(rows, [n for n in top if n not in used | ids], options)
        if found is None:
            raise GlobMedError(f"{where}: options found ({options.fields['options'].value}) but no field reads as "
                               f"their answer (fields: {', '.join(top[:15])})")
    else:  # a list under an unknown name (another language's "options") counts when an answer fits it
        options = find_options(rows, [n for n in top if n not in used], text_format, loose=True)
        found = find_answer(rows, [n for n in top if n not in used | ids], options) if options else None
    if options is not None and found is not None:
        answer_fields, answer = found
        used |= options.columns | {answer}
        fields |= options.fields | answer_fields
        task = Guess("mcqa", f"options and one answer per row ({answer})")
    else:
        task, answer_fields = _task_without_options(rows, [n for n in names if n not in used | ids], where)
        used.add(answer_fields["answer"].value)
        fields |= answer_fields
    for role in ("context", "explanation"):
        guess = _pick_text(rows, names, role, used)
        if guess is not None:
            fields[role] = guess
            used.add(guess.value)
    image = _needs_image(rows, names)
    if image is not None:
        fields["needs_image"] = image
    draft = FieldDraft(task, _ordered(fields), question.value, select=select)
    draft.id_field, draft.id_why = find_id(rows, names, used)
    draft.language, draft.column_languages = _language_column(rows, names)
    draft.parallel = _parallel_fields(rows, top, fields, used)
    draft.reject_when = _reject_when(rows, top, used | _parallel_columns(draft.parallel))
    return draft


_ORDER = ("question", "context", "options", "option_key", "fixed_options", "answer", "answer_format", "answer_base",
          "labels", "explanation", "needs_image", "absent_option_values")


def _ordered(fields: dict[str, Guess]) -> dict[str, Guess]:
    """The fields in YAML order; the answer's format keys point at the evidence on the answer line."""
    out = {k: fields[k] for k in _ORDER if k in fields}
    for key in ("answer_format", "answer_base"):
        if key in out and not out[key].why:
            out[key] = Guess(out[key].value, "the answer's shape (evidence on the answer line)")
    return out


def _longest_text(rows: list[dict[str, Any]], names: list[str], used: set[str]) -> Guess | None:
    best = max(((*_text_stats(rows, n), n) for n in names if n not in used), default=None,
               key=lambda t: (t[0] >= 0.5 * len(rows), t[1]))
    if best is None or not best[0]:
        return None
    return Guess(best[2], f"the longest text field (mean {best[1]:.0f} chars); no question-like name")


def _task_without_options(rows: list[dict[str, Any]], names: list[str], where: str
                          ) -> tuple[Guess, dict[str, Guess]]:
    """nli, yes/no mcqa or lfqa, from the values of the answer-like fields."""
    ranks = hint_rank("answer")
    hinted = sorted((n for n in names if norm(n) in ranks), key=lambda n: ranks[norm(n)])
    for name in hinted:
        values = [value_of(r, name) for r in rows]
        values = [v for v in values if not is_blank(v) and not isinstance(v, (dict, list))]
        if not values:
            continue
        nli = Counter(nli_answer(v, {}).value for v in values)
        if sum(nli[label] for label in NLI_LABELS) >= 0.9 * len(values):
            shown = ", ".join(f"{k} {v}" for k, v in nli.most_common(3))
            return Guess("nli", f"{name} holds NLI labels: {shown}"), {"answer": Guess(name, f"NLI labels: {shown}")}
        if set(map(str, values)) <= set(_MNLI) and _has_premise(names):
            labels = Guess(dict(_MNLI), "assumed MNLI order (0 entailment, 1 neutral, 2 contradiction): check it")
            return (Guess("nli", f"{name} holds 0/1/2 beside premise/hypothesis fields"),
                    {"answer": Guess(name, "0/1/2 labels"), "labels": labels})
        yes_no = _yes_no(values)
        if yes_no is not None:
            return yes_no[0], {"fixed_options": yes_no[1], "answer": Guess(name, yes_no[2]),
                               "answer_format": Guess("text", ""), **yes_no[3]}
    for name in hinted + [n for n in names if n not in hinted]:
        filled, mean = _text_stats(rows, name)
        codes = sum(1 for r in rows if isinstance(v := value_of(r, name), str) and _IDENT.fullmatch(v.strip()))
        if filled >= 0.5 * len(rows) and mean >= 30 and codes < 0.5 * filled:  # text, not UUIDs or paths
            return Guess("lfqa", f"no options; {name} is free text (mean {mean:.0f} chars)"), {
                "answer": Guess(name, f"long answer; text in {filled}/{len(rows)} rows")}
    raise GlobMedError(f"{where}: no options and no field reads as an answer (fields: {', '.join(names[:15])})")


def _has_premise(names: list[str]) -> bool:
    return bool({norm(n) for n in names} & {"premise", "hypothesis", "sentence1", "sentence2"})


def _yes_no(values: list[Any]) -> tuple[Guess, Guess, str, dict[str, Guess]] | None:
    """(task, fixed_options, answer evidence, {labels}) when the answers are yes/no/maybe words of one language.

    The fixed options are the rows' own words (да / нет for Russian rows, never English words on Russian
    rows), each in the spelling the data uses most; the builder matches answers to options ignoring case and
    edge spaces, so `labels:` is needed only where the data uses two words for one label (да and верно)."""
    counts = Counter(str(v).strip().casefold() for v in values)
    best = None
    for lang, table in words()["yes_no"].items():
        label_of = {str(w).casefold(): label for label, ws in table.items() for w in ws}
        covered = sum(n for w, n in counts.items() if w in label_of)
        if covered >= 0.9 * len(values) and len({label_of[w] for w in counts if w in label_of}) >= 2 and (
                best is None or covered > best[1]):
            best = (lang, covered, label_of)
    if best is None:
        return None
    lang, covered, label_of = best
    spellings = Counter(str(v).strip() for v in values if str(v).strip().casefold() in label_of)
    word_of: dict[str, str] = {}  # label -> the spelling the data uses most for it
    for spelling, _ in spellings.most_common():
        word_of.setdefault(label_of[spelling.casefold()], spelling)
    fixed = [word_of[label] for label in ("yes", "no", "maybe") if label in word_of]
    shown = ", ".join(f"{w} {n}" for w, n in spellings.most_common(6))
    labels = {w: word_of[label_of[w]] for w in counts if w in label_of and w != word_of[label_of[w]].casefold()}
    extra = {"labels": Guess(labels, "other words for the same label (words.yaml yes_no) -> the fixed option")
             } if labels else {}
    how = ("the rows' own words, each in its most used spelling; answers match them ignoring case and edge "
           "spaces" + (" (and through labels)" if labels else ", no labels needed"))
    return (Guess("mcqa", f"answers are yes/no words ({lang}): {shown}"), Guess(fixed, how),
            f"yes/no word — {covered}/{len(values)} values", extra)


def _select_options_rows(rows: list[dict[str, Any]], names: list[str]
                         ) -> tuple[Guess, list[dict[str, Any]]] | None:
    """`select: {field, values}` and the selected rows, when an options field holds options in only some rows
    and a column of few values (question_type: mcq / saq) tells exactly those rows apart."""
    found = options_mask(rows, names)
    if found is None:
        return None
    options, mask = found
    ranks = hint_rank("type")
    for name in sorted((n for n in names if n != options), key=lambda n: ranks.get(norm(n), len(ranks))):
        values = [value_of(r, name) for r in rows]
        if any(is_blank(v) or not isinstance(v, (str, int, bool)) for v in values):
            continue
        keyed = [str(v).strip() for v in values]
        kept = Counter(k for k, m in zip(keyed, mask, strict=True) if m)
        other = Counter(k for k, m in zip(keyed, mask, strict=True) if not m)
        if set(kept) & set(other) or len(kept) + len(other) > max(2, len(rows) // 3):
            continue
        shown = ", ".join(f"{k} {n}" for k, n in other.most_common(4))
        why = (f"{name}: {', '.join(f'{k} {n}' for k, n in kept.most_common(4))} rows hold options in {options}; "
               f"{shown} rows have none (rejected not_selected)")
        return (Guess({"field": name, "values": sorted(kept)}, why),
                [r for r, m in zip(rows, mask, strict=True) if m])
    return None


def _parallel_fields(rows: list[dict[str, Any]], names: list[str], fields: dict[str, Guess], used: set[str]
                     ) -> Guess | None:
    """`parallel_fields: {en: {question: question_EN, options: options_EN}}` for columns that pair up as X and
    X_EN (X_en, X_english, en_X): the same row in another language. The question must have its pair, and lingua
    must not read another language in it."""
    pairs: dict[str, dict[str, str]] = {}
    for role in ("question", "context", "options", "explanation"):
        base = fields[role].value if role in fields else None
        if not isinstance(base, str):
            continue
        for name in names:
            lang = _paired_language(base, name) if name not in used else None
            if lang is not None:
                pairs.setdefault(lang, {}).setdefault(role, name)
    out, why = {}, []
    for lang, roles in pairs.items():
        if "question" not in roles:
            continue
        read = detect_language([value_of(r, roles["question"]) for r in rows])
        if read is None or read.value != lang:  # question_id is no Indonesian question
            continue
        out[lang] = roles
        why.append(", ".join(f"{fields[role].value} / {col}" for role, col in roles.items()) + f" ({read.why})")
    if not out:
        return None
    return Guess(out, "each row also in " + ", ".join(out) + ": " + "; ".join(why) +
                 "; rows with an empty one are rejected for that language only")


def _paired_language(base: str, name: str) -> str | None:
    """The language of `name` when it is `base` with a language code or name before or after it."""
    folded, stem = name.casefold(), base.casefold()
    for token in (folded.removeprefix(stem), folded.removesuffix(stem)):
        if token == folded:
            continue
        token = token.strip("_-. ")
        if token and (is_code_token(token) or name_code(token)):
            return code_of(token)
    return None


def _parallel_columns(parallel: Guess | None) -> set[str]:
    return {col for roles in (parallel.value if parallel else {}).values() for col in roles.values()}


def _needs_image(rows: list[dict[str, Any]], names: list[str]) -> Guess | None:
    table = {norm(k): v for k, v in words()["image_fields"].items()}
    for name in names:
        when = table.get(norm(name))
        if when is None and norm(name) not in table:
            continue
        values = [value_of(r, name) for r in rows]
        if when == "nonempty":
            hits = sum(1 for v in values if not is_blank(v) and v != [])
            why = f"{name} non-empty in {hits}/{len(rows)} rows"
        else:
            hits = sum(1 for v in values if v is when)
            why = f"{name} is {str(when).lower()} in {hits}/{len(rows)} rows"
        return Guess({"field": name, "when": when}, why + " (rejected needs_missing_image)")
    return None


def id_candidates(names: list[str], used: set[str]) -> list[str]:
    """Fields that may be row ids: hinted names (in hint order), then other names ending in "id"."""
    ranks = hint_rank("id")
    candidates = [n for n in names if n not in used and (norm(n) in ranks or norm(n).endswith("id"))]
    return sorted(candidates, key=lambda n: ranks.get(norm(n), len(ranks)))


def find_id(rows: list[dict[str, Any]], names: list[str], used: set[str]) -> tuple[str | None, str]:
    """The first id candidate whose values are all present and unique, and the evidence (or why none is)."""
    notes = []
    for name in id_candidates(names, used):
        values = [value_of(r, name) for r in rows]
        if any(is_blank(v) or not isinstance(v, (str, int)) for v in values):
            notes.append(f"{name} is missing in some rows")
            continue
        distinct = len({str(v) for v in values})
        if distinct == len(values):
            return name, f"{distinct}/{len(values)} values unique"
        notes.append(f"{name} repeats ({distinct} distinct in {len(values)} rows)")
    return None, "; ".join(notes) or "no id field"


def _language_column(rows: list[dict[str, Any]], names: list[str]) -> tuple[Guess | None, list[str]]:
    ranks = hint_rank("language")
    for name in sorted((n for n in names if norm(n) in ranks), key=lambda n: ranks[norm(n)]):
        found = language_column([value_of(r, name) for r in rows])
        if found is None:
            continue
        codes, counts = found
        # every value that is not our code as it is (JP, ZH, pt-BR, English): the builder would read most of them
        # itself, but the map shows the reader what each value becomes
        mapping = {value: code for value, code in sorted(codes.items(), key=lambda vc: -counts[vc[0]])
                   if value != code}
        languages = language_order(set(codes.values()))
        shown = ", ".join(f"{v} {n}" for v, n in counts.most_common(6))
        notes = [f"{c}: {note}" for c in languages if (note := registry_note(c))]
        why = f"{name}: {shown}" + "".join(f"; {n}" for n in notes)
        value = {"field": name, "codes": mapping} if mapping else {"field": name}
        return Guess(value, why), languages
    return None, []


def _reject_when(rows: list[dict[str, Any]], names: list[str], used: set[str]) -> Guess | None:
    """Rules for flag columns (annulled: true) and status columns (status: withdrawn)."""
    hints = hint_rank("flag")
    flag_words = {str(w).casefold() for w in words()["flag_values"]}
    true_values = words()["true_values"]
    rules, why = [], []
    for name in names:
        if name in used:
            continue
        values = [r.get(name) for r in rows if not is_blank(r.get(name))]
        statuses = Counter(v for v in values if isinstance(v, str) and v.strip().casefold() in flag_words)
        if statuses and len({str(v) for v in values}) <= 20:
            rules.append({"field": name, "values": sorted(statuses)})
            why.append(f"{name}: " + ", ".join(f"{v} in {n}/{len(rows)} rows" for v, n in statuses.most_common()))
        elif norm(name) in hints and values and all(isinstance(v, (bool, int, str)) for v in values):
            truthy = Counter(v for v in values if _is_true(v, true_values))
            if truthy:
                rules.append({"field": name, "values": sorted(truthy, key=str)})
                why.append(f"{name} set in {sum(truthy.values())}/{len(rows)} rows")
            elif all(isinstance(v, bool) for v in values):
                rules.append({"field": name, "values": [True]})
                why.append(f"{name}: a flag column, never set in the sample")
    if not rules:
        return None
    return Guess(rules, "; ".join(why) + " (rejected source_flagged)")


def _is_true(value: Any, true_values: list[Any]) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value == 1
    return value.strip().casefold() in {str(t).casefold() for t in true_values}
