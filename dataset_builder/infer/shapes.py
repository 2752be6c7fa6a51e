"""Option and answer shapes, guessed from sample rows for `sources infer`.

Options: columns (opa..opd, A..E, option_1..), a list, a list of objects (`option_key`), a dict keyed by letters,
digits or names (option1..), one "(A) ...\\n(B) ..." string, or a string holding a JSON / Python dict or list.
Answers: a letter, a list of letters, an index (0- or 1-based, told apart by the values against each row's option
count; "2.0" reads as 2), the option text, or a key of the options dict (or several: "option1,option3"). Each guess
is scored on every sample row and the score is the evidence ("1273/1273 values in A–E"). Parsing reuses
dataset_builder.answers, so a shape guessed here is a shape the builder reads the same way.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from dataset_builder.answers import (
    NO_ANSWER_STRINGS,
    literal_container,
    option_keys,
    parse_options,
    split_option_string,
)
from dataset_builder.infer.common import Guess, hint_rank, is_blank, norm, words
from globmed.schema import OPTION_LETTERS

_COLUMN = re.compile(r"^(?P<prefix>.*?)[\s_\-]?(?P<suffix>[A-Ja-j]|\d)$")
_LETTER = re.compile(r"[\(\[]?\s*([A-Ja-j])\s*[\)\].]?")
_LETTERS = re.compile(r"[\(\[]?([A-Ja-j]{2,})[\)\]]?|[A-Ja-j](?:\s*(?:,|/|&|、|\bor\b|\band\b|\+)\s*[A-Ja-j])+")
_INT = re.compile(r"\d+")
_FLOAT_INT = re.compile(r"\d+\.0+")
_KEY_LIST = re.compile(r"\s*[,;|/]\s*|\s+")


@dataclass
class Options:
    """Where a row's options are and what they look like."""

    fields: dict[str, Guess]  # `options` (+ `option_key`, `absent_option_values`) for the YAML
    cells: list[list[Any] | None]  # raw option values per row
    keys: list[list[str] | None]  # per row: dict keys (dict shapes) or item ids (list of objects)
    key_kind: str | None = None  # letters | digits | names (option1..) | ids
    columns: set[str] = field(default_factory=set)  # row fields the options use
    text_format: bool = False  # csv/tsv: the words None/null/nan are absent cells


# -- options -----------------------------------------------------------------------------------------------------


def find_options(rows: list[dict[str, Any]], names: list[str], text_format: bool, loose: bool = False
                 ) -> Options | None:
    """The options of the rows: option columns first, then one field (hinted names first), else None.
    `loose` also accepts a list or "(A) ..." string under a name that is no options hint (the caller then
    checks that an answer fits them).

    `text_format` (csv, tsv): the words None/null/nan in a cell are absent by default, as the builder reads them;
    in JSON and Parquet they are real option text (MedMCQA's "None" = none of these)."""
    found = _option_columns(rows, names, text_format)
    if found is None:
        ranks = hint_rank("options")
        ordered = sorted(names, key=lambda n: ranks.get(norm(n), len(ranks)))
        found = next((o for n in ordered
                      if (o := _option_field(rows, n, loose or norm(n) in ranks, text_format)) is not None), None)
    if found is not None:
        absent = absent_values(found.cells, text_format)
        if absent is not None:
            found.fields["absent_option_values"] = absent
    return found


def _option_columns(rows: list[dict[str, Any]], names: list[str], text_format: bool) -> Options | None:
    prefixes = {norm(p) for p in words()["option_column_prefixes"]}
    groups: dict[tuple[str, bool], list[tuple[str, str]]] = {}
    for name in names:
        match = _COLUMN.match(name)
        if match:
            suffix = match["suffix"]
            groups.setdefault((norm(match["prefix"]), suffix.isdigit()), []).append((suffix.upper(), name))
    best: list[str] = []
    for (prefix, digits), members in groups.items():
        members.sort(key=lambda m: int(m[0]) if digits else m[0])
        suffixes = [m[0] for m in members]
        start = [str(i) for i in range(int(suffixes[0]), int(suffixes[0]) + len(suffixes))] if digits else None
        contiguous = suffixes == start if digits else suffixes == list(OPTION_LETTERS[: len(suffixes)])
        if digits and suffixes[0] not in ("0", "1"):
            contiguous = False
        enough = len(members) >= 3 or (len(members) == 2 and prefix)
        if contiguous and enough and (prefix in prefixes or len(members) >= 4) and len(members) > len(best):
            best = [m[1] for m in members]
    if not best:
        return None
    texts = sum(1 for r in rows for c in best if isinstance(r.get(c), str) or r.get(c) is None)
    if texts < 0.8 * len(rows) * len(best):
        return None
    cells = [[r.get(c) for c in best] for r in rows]
    why = f"columns {best[0]}..{best[-1]}: {_count_text(cells, text_format)}"
    return Options({"options": Guess(best, why)}, cells, [None] * len(rows), columns=set(best),
                   text_format=text_format)


def _key_kind(keys: list[str]) -> str | None:
    """letters (A..E, read as letters), digits (1..5) or names (option1.., opt_a..: a prefix from words.yaml
    and a letter or digit) for the keys of a dict of options; None for other keys."""
    if all(len(k) == 1 and k.upper() in OPTION_LETTERS for k in keys):
        return "letters"
    if all(k.isdigit() for k in keys):
        return "digits"
    matches = [_COLUMN.match(k) for k in keys]
    prefixes = {norm(m["prefix"]) for m in matches if m}
    if all(matches) and len(prefixes) == 1 and prefixes <= {norm(p) for p in words()["option_column_prefixes"]}:
        return "names"
    return None


_DICT_SHAPES = {"letters": "dict keyed by letters", "digits": "dict keyed by digits", "names": "dict keyed by names"}


def _value_shape(value: Any) -> tuple[str, Any]:
    """(shape, parsed value) of one options value; shape "" when it does not look like options."""
    if isinstance(value, str):
        parsed = literal_container(value)
        if parsed is not None:
            shape, inner = _value_shape(parsed)
            return (f"string holding a {shape}", inner) if shape else ("", None)
        return ("one '(A) ...' string", value) if len(split_option_string(value)) >= 2 else ("", None)
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(x, dict) for x in value):
            return "list of objects", list(value)
        if all(isinstance(x, (str, int, float)) or x is None for x in value):
            return "list", list(value)
        return "", None
    if isinstance(value, dict) and value:
        keys = [str(k) for k in value]
        kind = _key_kind(keys)
        if kind == "letters" and not keys[0].isupper():
            return "dict keyed by lowercase letters", value
        if kind:
            return _DICT_SHAPES[kind], value
    return "", None


def options_mask(rows: list[dict[str, Any]], names: list[str]) -> tuple[str, list[bool]] | None:
    """(field, which rows hold options in it) for the first options-hinted field that holds options in some rows
    but not in 80% of them (AfriMed-QA: mcq rows beside free-text rows); the caller looks for the column that
    tells those rows apart."""
    ranks = hint_rank("options")
    for name in sorted((n for n in names if norm(n) in ranks), key=lambda n: ranks[norm(n)]):
        mask = [bool(_value_shape(r.get(name))[0]) for r in rows]
        if 0.1 * len(rows) <= sum(mask) < 0.8 * len(rows):
            return name, mask
    return None


def _option_field(rows: list[dict[str, Any]], name: str, hinted: bool, text_format: bool) -> Options | None:
    shapes = [_value_shape(r.get(name)) for r in rows]
    counts = Counter(s for s, _ in shapes if s)
    if not counts:
        return None
    shape, n = counts.most_common(1)[0]
    if n < 0.8 * len(rows) or (not hinted and shape in ("list", "one '(A) ...' string")):
        return None  # an unhinted list or string field is too often something else (tags, CONTEXTS)
    fields = {"options": Guess(name, "")}
    cells: list[list[Any] | None] = []
    keys: list[list[str] | None] = []
    key_kind = None
    option_key = id_key = None
    if shape == "list of objects":
        option_key, id_key = _object_keys([v for s, v in shapes if s == shape])
        fields["option_key"] = Guess(option_key, f"the text of each option object (ids: {id_key})" if id_key
                                     else "the text of each option object")
        key_kind = "ids" if id_key else None
    for s, value in shapes:
        if not s:
            cells.append(None)
            keys.append(None)
            continue
        if isinstance(value, dict):
            cells.append(parse_options(value))
            keys.append(option_keys(value))
            key_kind = _key_kind(keys[-1])
        elif shape == "list of objects":
            cells.append([x.get(option_key) for x in value])
            keys.append([str(x.get(id_key)) for x in value] if id_key else None)
        else:
            cells.append(parse_options(value))
            keys.append(None)
    if key_kind == "names":
        first = next(k for k in keys if k)
        shape = shape.replace("names", f"{first[0]}, {first[1]}, ..." if len(first) > 1 else first[0])
    fields["options"] = Guess(name, f"{shape}: {_count_text(cells, text_format)}")
    return Options(fields, cells, keys, key_kind, {name}, text_format)


def _object_keys(values: list[list[dict[str, Any]]]) -> tuple[str, str | None]:
    """(text key, id key) of option objects such as {"aid": 1, "atext": "..."}."""
    lengths: Counter[str] = Counter()
    short: Counter[str] = Counter()
    for items in values:
        for item in items:
            for key, value in item.items():
                if isinstance(value, str):
                    lengths[key] += len(value)
                if isinstance(value, (int, str)) and len(str(value)) <= 3:
                    short[key] += 1
    text_key = lengths.most_common(1)[0][0] if lengths else next(iter(values[0][0]))
    ids = [k for k, _ in short.most_common() if k != text_key]
    return text_key, (ids[0] if ids else None)


def option_count(cells: list[Any] | None, text_format: bool) -> int:
    """Options in a row once trailing absent cells (and absent markers such as "-") are dropped."""
    if not cells:
        return 0
    n = len(cells)
    while n and _absent_kind(cells[n - 1], text_format):
        n -= 1
    return n


def _count_text(cells: list[list[Any] | None], text_format: bool) -> str:
    counts = Counter(option_count(c, text_format) for c in cells if c is not None)
    parts = [f"{k} options in {v} rows" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])[:3]]
    return ", ".join(parts) + (", ..." if len(counts) > 3 else "")


def _absent_kind(value: Any, text_format: bool) -> str:
    """"default" for cells the builder drops as absent, "marker" for ones that need absent_option_values."""
    if is_blank(value) or (text_format and isinstance(value, str)
                           and value.strip().casefold() in words()["absent_by_default"]):
        return "default"
    markers = {str(m).casefold() for m in words()["absent_markers"]}
    if isinstance(value, str) and value.strip().casefold() in markers:
        return "marker"
    return ""


def absent_values(cells: list[list[Any] | None], text_format: bool) -> Guess | None:
    """`absent_option_values` from the trailing option cells that mean "no option" ("-", "N/A")."""
    markers: Counter[str] = Counter()
    defaults: Counter[str] = Counter()
    gaps = 0
    for row in cells:
        if not row:
            continue
        end = len(row)
        while end and _absent_kind(row[end - 1], text_format):
            kind = _absent_kind(row[end - 1], text_format)
            cell = row[end - 1]
            (markers if kind == "marker" else defaults)[cell if isinstance(cell, str) else f"({cell})"] += 1
            end -= 1
        gaps += any(_absent_kind(c, text_format) for c in row[:end])
    if not markers and not defaults:
        return None
    seen = "; ".join(f"{v!r} x{n}" for v, n in (markers + defaults).most_common(4))
    why = f"trailing option cells meaning no option: {seen}"
    if defaults:
        why += " (absent by default: empty, null" + (", None, nan in CSV)" if text_format else ")")
    words_seen = sorted(v for v in defaults if v.strip() and not v.startswith("("))
    if words_seen:
        why += f"; check: the text {', '.join(map(repr, words_seen))} may be a real option ('none of these')"
    if gaps:
        why += f"; {gaps} rows have a gap in the middle (rejected option_gap)"
    values = sorted({v.strip() for v in markers})
    return Guess(values, why) if values else Guess(None, why)


# -- answers -----------------------------------------------------------------------------------------------------


@dataclass
class AnswerFit:
    """How one field fits each answer format, over the rows that have options."""

    name: str
    hinted: int
    rows: int = 0
    none: int = 0
    multi: int = 0
    listed: int = 0
    fits: Counter[str] = field(default_factory=Counter)
    letters: set[str] = field(default_factory=set)
    ints: list[int] = field(default_factory=list)
    max_is_count: int = 0  # rows whose integer answer equals their option count
    none_values: Counter[str] = field(default_factory=Counter)
    values: Counter[str] = field(default_factory=Counter)  # the answers given, as text


def _fit(name: str, rank: int, rows: list[dict[str, Any]], options: Options) -> AnswerFit:
    fit = AnswerFit(name, rank)
    for row, cells, keys in zip(rows, options.cells, options.keys, strict=True):
        n = option_count(cells, options.text_format)
        raw = row.get(name)
        if isinstance(raw, str) and _FLOAT_INT.fullmatch(raw.strip()):
            raw = float(raw)  # "2.0": a spreadsheet or pandas export of an integer column
        if isinstance(raw, float):  # parquet/pandas integers with a missing value become floats
            raw = int(raw) if raw.is_integer() else None if raw != raw else str(raw)
        if n == 0 or isinstance(raw, dict):
            continue
        fit.rows += 1
        if isinstance(raw, (list, tuple)):
            items = [x for x in raw if not is_blank(x)]
            fit.listed += 1
            if len(items) > 1:
                fit.multi += 1
                fit.fits["letter"] += all(isinstance(x, str) and _LETTER.fullmatch(x.strip()) for x in items)
                continue
            raw = items[0] if items else None
        if raw is None or (isinstance(raw, str) and raw.strip().casefold() in NO_ANSWER_STRINGS):
            fit.none += 1
            fit.none_values[repr(raw)] += 1
            continue
        text = str(raw).strip()
        fit.values[text] += 1
        letter = _LETTER.fullmatch(text) if isinstance(raw, str) else None
        if letter:
            fit.letters.add(letter.group(1).upper())
            fit.fits["letter"] += OPTION_LETTERS.index(letter.group(1).upper()) < n
        elif isinstance(raw, str) and _LETTERS.fullmatch(text):
            fit.multi += 1
            fit.fits["letter"] += 1
        if not isinstance(raw, bool) and (isinstance(raw, int) or _INT.fullmatch(text)):
            value = int(text)
            fit.ints.append(value)
            fit.fits["index0"] += 0 <= value < n
            fit.fits["index1"] += 1 <= value <= n
            fit.max_is_count += value == n
        if keys is not None and text in keys:
            fit.fits["key"] += 1
            if options.key_kind == "ids":
                fit.fits["id_position"] += keys.index(text) == int(text) - 1 if text.isdigit() else 0
        elif keys and options.key_kind in ("digits", "names") and len(parts := _KEY_LIST.split(text)) > 1 and all(
                p.strip() in keys for p in parts):
            fit.multi += 1  # "option1,option2,option4": several keys
            fit.fits["key"] += 1
        if any(isinstance(c, str) and c.strip().casefold() == text.casefold() for c in (cells or [])[:n]):
            fit.fits["text"] += 1
    return fit


def find_answer(rows: list[dict[str, Any]], names: list[str], options: Options) -> tuple[dict[str, Guess], str] | None:
    """The answer field of an mcqa source and its format keys; returns (fields, answer field name)."""
    ranks = hint_rank("answer")
    candidates = [n for n in names if n not in options.columns]
    fits = [_fit(n, ranks.get(norm(n), len(ranks)), rows, options) for n in candidates]
    best: tuple[tuple, dict[str, Guess]] | None = None
    for fit in fits:
        answered = fit.rows - fit.none
        if answered <= 0 or (fit.hinted >= len(ranks) and answered >= 5 and len(fit.values) == 1):
            continue  # an unhinted column with one value in every row (period: 1) is no answer
        for order, fmt in enumerate(("letter", "key", "index", "text")):
            guess = _format_guess(fit, fmt, options)
            if guess is None:
                continue
            score, fields = guess
            if score < 0.9 * answered:
                continue
            # a hinted field wins, then the more precise format, then the field listed first in the hints
            rank = (fit.hinted >= len(ranks), order, fit.hinted)
            if best is None or rank < best[0]:
                best = (rank, fields)
            break
    if best is None:
        return None
    fields = best[1]
    others = [f for f in fits if f.name != fields["answer"].value and f.fits["text"] >= 0.9 * max(f.rows, 1) > 0]
    if others:
        first = others[0]
        note = f"; {first.name} holds the option text in {first.fits['text']}/{first.rows} rows"
        fields["answer"] = Guess(fields["answer"].value, fields["answer"].why + note)
    return fields, fields["answer"].value


def _format_guess(fit: AnswerFit, fmt: str, options: Options) -> tuple[int, dict[str, Guess]] | None:
    answered = fit.rows - fit.none
    extra = _extra(fit)
    if fmt == "letter" and fit.fits["letter"]:
        letters = sorted(fit.letters)
        span = f"{letters[0]}–{letters[-1]}" if letters else "A–J"
        what = "a list of letters" if fit.listed >= 0.9 * fit.rows else "letter"
        why = f"{what} — {fit.fits['letter']}/{answered} values in {span}{extra}"
        return fit.fits["letter"], {"answer": Guess(fit.name, why), "answer_format": Guess("letter", "")}
    if fmt == "key" and fit.fits["key"]:
        if options.key_kind == "ids":
            if fit.fits["id_position"] < fit.fits["key"]:
                return None
            why = (f"1-based index — {fit.fits['key']}/{answered} values are the id of an option object, "
                   f"which is its position + 1{extra}")
            return fit.fits["key"], {"answer": Guess(fit.name, why), "answer_format": Guess("index", ""),
                                     "answer_base": Guess(1, "")}
        if options.key_kind in ("digits", "names"):
            shown = ", ".join(sorted(k for k in fit.values if " " not in k and "," not in k)[:3])
            why = f"key of the options dict — {fit.fits['key']}/{answered} values are keys ({shown}, ...){extra}"
            return fit.fits["key"], {"answer": Guess(fit.name, why), "answer_format": Guess("key", "")}
        return None  # letter keys are read as letters
    if fmt == "index" and fit.ints:
        base, why_base = _base(fit)
        score = fit.fits[f"index{base}"]
        lo, hi = min(fit.ints), max(fit.ints)
        why = f"{base}-based index — {score}/{answered} values in {lo}–{hi}; {why_base}{extra}"
        fields = {"answer": Guess(fit.name, why), "answer_format": Guess("index", "")}
        if base == 1:
            fields["answer_base"] = Guess(1, "")
        return score, fields
    if fmt == "text" and fit.fits["text"]:
        why = f"option text — {fit.fits['text']}/{answered} values equal one of the row's options{extra}"
        return fit.fits["text"], {"answer": Guess(fit.name, why), "answer_format": Guess("text", "")}
    return None


def _base(fit: AnswerFit) -> tuple[int, str]:
    """0 or 1: a 0 among the values means 0-based; a value equal to its row's option count means 1-based."""
    zeros = fit.ints.count(0)
    if zeros and zeros >= fit.max_is_count:
        return 0, f"{zeros} values are 0"
    if fit.max_is_count:
        return 1, f"{fit.max_is_count} values equal the row's option count, none is 0"
    if len(fit.ints) >= 20:
        return 1, f"no 0 in {len(fit.ints)} values"
    return 0, "too few values to tell the base: check answer_base"


def _extra(fit: AnswerFit) -> str:
    parts = []
    if fit.multi:
        parts.append(f"{fit.multi} give several answers (rejected several_correct_answers)")
    if fit.none:
        shown = ", ".join(v for v, _ in fit.none_values.most_common(2))
        parts.append(f"{fit.none} have no answer ({shown})")
    return "; " + "; ".join(parts) if parts else ""
