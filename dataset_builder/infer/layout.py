"""The file layout of a source for `sources infer`: one `files` pattern with `{split}`, `{lang}` and one extra
variable, `splits`, `languages`, `lang_codes` and `file_overrides`, or the explicit list form.

File names are cut into tokens at / _ - . ; a split word becomes `{split}`, a language code or name (ja, Japanese,
日本語; a name only where lingua reads that language in most of its files) that varies across the files becomes
`{lang}` (with `lang_codes` for the names), and what else varies between the files becomes `{subset}` (`vars:`). A
file without the language token (MMLU's English `virology_test.csv` beside `virology_test_zu.csv`) gets a
`file_overrides` entry for the language lingua reads in it. The pattern must name exactly the given files (every
language x split x subset); when only some splits have every language, one source per split is drafted; otherwise
the caller falls back to the list form or one source per file.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path

from dataset_builder.infer.common import Guess, split_of
from dataset_builder.infer.language import code_of, is_code_token, language_order, name_code
from dataset_builder.infer.read import FileSample

_SEP = re.compile(r"([/_.\-])")
_SPLIT_ORDER = ("train", "validation", "test")


@dataclass
class Layout:
    """Which files a source reads and how their names map to languages and splits."""

    samples: list[FileSample]
    files: Guess
    splits: Guess | None = None
    languages: list[str] = field(default_factory=list)  # from file names; empty when names carry no language
    languages_why: str = ""
    lang_codes: dict[str, str] = field(default_factory=dict)  # our code -> code in file names
    file_overrides: Guess | None = None
    vars: Guess | None = None
    var_names: list[str] = field(default_factory=list)
    parallel: Guess | None = None  # set when several languages have files that are row-by-row parallel
    label: str = ""  # suffix of the source id when one group of files gives several sources
    file_language: dict[Path, str | None] = field(default_factory=dict)  # the list form's language per file


def _names_agree(lang_value: dict[Path, str | None], read_language: dict[Path, str | None]) -> bool:
    """Whether language names in file names (Japanese, Français) are the files' languages: lingua reads the named
    language in most files it can read. Codes (ja, fr) are trusted as they are."""
    named = [p for p, t in lang_value.items() if t and not is_code_token(t)]
    read = [p for p in named if read_language.get(p)]
    return not read or 2 * sum(read_language[p] == code_of(lang_value[p]) for p in read) > len(read)


def _split_guess(values: set[str]) -> Guess:
    mapping: dict[str, list[str]] = {}
    for value in sorted(values):
        mapping.setdefault(split_of(value) or value, []).append(value)
    ordered = {s: (v[0] if len(v) == 1 else v) for s in _SPLIT_ORDER for v in [mapping.get(s)] if v}
    why = "from the file names: " + ", ".join(f"{v} -> {s}" for s, vs in mapping.items() for v in vs)
    if any(len(v) > 1 for v in mapping.values()):
        why += " (several files for one split)"
    return Guess(ordered, why)


def _escape(token: str) -> str:
    return token.replace("{", "{{").replace("}", "}}")


def infer_layouts(samples: list[FileSample], root: Path, read_language: dict[Path, str | None],
                  names_carry_language: bool = True) -> list[Layout] | None:
    """One layout naming exactly these files, or one per split, or None when no pattern fits.
    `names_carry_language` is False when the rows name their language (a language column)."""
    rel = {s.path: s.path.relative_to(root).as_posix() for s in samples}
    parts = {p: _SEP.split(r) for p, r in rel.items()}
    split_value = {p: next((t for t in reversed(toks[::2]) if split_of(t)), None) for p, toks in parts.items()}
    if not all(split_value.values()):
        split_value = dict.fromkeys(rel)
    codes = {p: {t for t in toks[::2] if (is_code_token(t) or name_code(t)) and t != split_value[p]}
             for p, toks in parts.items()}
    lang_value = dict.fromkeys(rel)
    if names_carry_language and len({t for c in codes.values() for t in c}) >= 2 and all(
            len(c) <= 1 for c in codes.values()):
        lang_value = {p: next(iter(c), None) for p, c in codes.items()}
        if not _names_agree(lang_value, read_language):
            lang_value = dict.fromkeys(rel)  # "Basque" may be a subset: lingua reads no such language in it

    def skeleton(p: Path) -> list[str]:
        out = []
        for i, tok in enumerate(parts[p]):
            if i % 2 == 0 and tok == split_value[p]:
                out.append("{split}")
            elif i % 2 == 0 and tok == lang_value[p]:
                out.append("{lang}")
            else:
                out.append(_escape(tok))
        return out

    main = [p for p in rel if lang_value[p]] or list(rel)
    plain = [p for p in rel if p not in main]
    found = _pattern([skeleton(p) for p in main])
    if found is None:
        return None
    pattern, var_of_skeleton = found
    var_value = {p: var_of_skeleton.get("".join(skeleton(p))) for p in main}
    overrides: dict[str, str] = {}
    if plain:
        override = _without_lang(pattern)
        langs = {read_language.get(p) for p in plain}
        lang = langs.pop() if len(langs) == 1 else None
        if override is None or lang is None or lang in {code_of(lang_value[p]) for p in main}:
            return None
        for p in plain:
            match = [v for v in set(var_value.values()) if override.format(split=split_value[p], subset=v) == rel[p]]
            if not match:
                return None
            var_value[p] = match[0]
        overrides[lang] = override
    expected = _expected(main, plain, pattern, overrides, lang_value, split_value, var_value)
    if expected == set(rel.values()):
        return [_layout(samples, pattern, overrides, lang_value, split_value, var_value, read_language)]
    split_values = {v for v in split_value.values() if v}
    if len(split_values) < 2:
        return None
    layouts = []
    for value in sorted(split_values):
        part = infer_layouts([s for s in samples if split_value[s.path] == value], root, read_language,
                             names_carry_language)
        if part is None or len(part) != 1:
            return None
        part[0].label = split_of(value) or value
        layouts += part
    return layouts


def _pattern(skeletons: list[list[str]]) -> tuple[str, dict[str, str]] | None:
    """The files pattern of the skeletons and each skeleton's `{subset}` value; None when more than one part
    of the names varies."""
    joined = {"".join(s) for s in skeletons}
    if len(joined) == 1:
        return joined.pop(), {}
    shortest = min(len(s) for s in skeletons)
    pre = 0
    while pre < shortest and len({s[pre] for s in skeletons}) == 1:
        pre += 1
    suf = 0
    while suf < shortest - pre and len({s[-1 - suf] for s in skeletons}) == 1:
        suf += 1
    pre -= pre % 2
    suf -= suf % 2
    values = {}
    for s in skeletons:
        middle = "".join(s[pre: len(s) - suf])
        if not middle or "{" in middle or "/" in middle:
            return None
        values["".join(s)] = middle
    skeleton = skeletons[0]
    return "".join(skeleton[:pre]) + "{subset}" + "".join(skeleton[len(skeleton) - suf:]), values


def _without_lang(pattern: str) -> str | None:
    for form in ("_{lang}", "-{lang}", ".{lang}", "{lang}_", "{lang}-", "{lang}.", "/{lang}", "{lang}/"):
        reduced = pattern.replace(form, "")
        if "{lang}" not in reduced:
            return reduced
    return None


def _expected(main, plain, pattern, overrides, lang_value, split_value, var_value) -> set[str]:
    """Every file the pattern names for the languages, splits and subsets seen."""
    langs = {lang_value[p] for p in main} - {None} or {None}
    splits = {split_value[p] for p in main + plain} or {None}
    subsets = set(var_value.values()) or {None}
    names = {pattern.format(lang=lang, split=split, subset=v) for lang, split, v in product(langs, splits, subsets)}
    for override in overrides.values():
        names |= {override.format(split=split, subset=v) for split, v in product(splits, subsets)}
    return names


def _layout(samples, pattern, overrides, lang_value, split_value, var_value, read_language) -> Layout:
    n = len(samples)
    splits = {v for v in split_value.values() if v}
    layout = Layout(samples, Guess(pattern, ""))
    described = []
    if splits:
        layout.splits = _split_guess(splits)
    subsets = sorted({v for v in var_value.values() if v})
    if subsets:
        layout.vars = Guess({"subset": subsets}, "the part of the file names that varies besides split and language")
        layout.var_names = ["subset"]
        described.append(f"{len(subsets)} subset{'s' * (len(subsets) > 1)}")
    tokens = {lang_value[p] for p in lang_value if lang_value[p]}
    if tokens:
        by_code = {code_of(t): t for t in tokens}
        layout.languages = language_order(set(by_code) | set(overrides))
        layout.lang_codes = {c: by_code[c] for c in layout.languages if c in by_code and by_code[c] != c}
        coded = [s.path for s in samples if lang_value[s.path]]
        agree = sum(read_language.get(p) == code_of(lang_value[p]) for p in coded)
        names = {t: code_of(t) for t in sorted(tokens) if not is_code_token(t)}
        what = ("language names in the file names (" + ", ".join(f"{t} -> {c}" for t, c in names.items()) + ")"
                if names else "language codes in the file names")
        layout.languages_why = f"{what}; lingua reads the same language in {agree}/{len(coded)} files"
        differ = [p for p in coded if read_language.get(p) and read_language[p] != code_of(lang_value[p])]
        if differ:
            layout.languages_why += "; not in " + ", ".join(
                f"{p.name} (reads {read_language[p]})" for p in differ[:3]) + ": check"
        described.append(f"{len(layout.languages)} languages")
        if overrides:
            lang, override = next(iter(overrides.items()))
            layout.file_overrides = Guess(dict(overrides), f"files without a language code; lingua reads {lang}")
            layout.languages_why += f"; {lang}: files without a code ({override})"
        layout.parallel = _parallel(samples, lang_value, split_value, var_value, overrides)
        untagged = next(iter(overrides), None)
        layout.file_language = {s.path: code_of(lang_value[s.path]) if lang_value[s.path] else untagged
                                for s in samples}
    if splits:
        described.append(f"{len(splits)} split{'s' * (len(splits) > 1)}")
    layout.files = Guess(pattern, f"{n} file{'s' * (n > 1)}" + (": " + " x ".join(described) if described else ""))
    return layout


def _parallel(samples, lang_value, split_value, var_value, overrides) -> Guess:
    """Whether every language's file of a split and subset has the same number of rows (translations)."""
    override_lang = next(iter(overrides), None)
    rows: dict[tuple, dict[str, int]] = {}
    for s in samples:
        lang = code_of(lang_value[s.path]) if lang_value[s.path] else override_lang
        rows.setdefault((split_value[s.path], var_value.get(s.path)), {})[lang] = s.total
    differing = [(k, v) for k, v in rows.items() if len(set(v.values())) > 1]
    if not differing:
        return Guess(True, f"every language has the same row count in all {len(rows)} file groups")
    (split, subset), counts = differing[0]
    shown = ", ".join(f"{lang} {n}" for lang, n in list(counts.items())[:4])
    where = "/".join(str(x) for x in (subset, split) if x)
    return Guess(False, f"row counts differ across languages ({where or 'files'}: {shown})")


def list_layout(samples: list[FileSample], root: Path, read_language: dict[Path, str | None]) -> Layout:
    """The explicit list form: one {path, split, language} entry per file."""
    entries = []
    for s in samples:
        rel = s.path.relative_to(root).as_posix()
        entry: dict[str, str] = {"path": rel}
        split = next((split_of(t) for t in reversed(_SEP.split(rel)[::2]) if split_of(t)), None)
        if split:
            entry["split"] = split
        if read_language.get(s.path):
            entry["language"] = read_language[s.path]
        entries.append(entry)
    layout = Layout(samples, Guess(entries, f"{len(samples)} files whose names share no pattern"))
    layout.file_language = dict(read_language)
    layout.languages = language_order({e["language"] for e in entries if "language" in e})
    per = Counter(e["language"] for e in entries if "language" in e)
    layout.languages_why = "lingua, per file: " + ", ".join(f"{code} {n} file{'s' * (n > 1)}" for code, n in
                                                            per.most_common())
    return layout
