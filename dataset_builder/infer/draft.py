"""Put the guesses together: files -> groups of one shape -> one or more source entries, each key a `Guess`.

Files are grouped by format, record path and field names (two files whose fields mostly agree are one
shape); each group's fields are guessed on all its sample rows, then its layout. A group whose file names fit
no pattern becomes one source in the list form when the rows carry a unique id, else one source per file (a
row-number id would repeat across its files).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from dataset_builder.infer.common import Guess, split_of, words
from dataset_builder.infer.fields import FieldDraft, field_names, find_id, id_candidates, infer_fields, value_of
from dataset_builder.infer.language import code_of, detect_language
from dataset_builder.infer.layout import Layout, infer_layouts, list_layout
from dataset_builder.infer.read import FileSample, archive_of, expand_archive, sample_file
from globmed.errors import GlobMedError


@dataclass
class SourceDraft:
    """One `sources:` entry: source-level keys and `fields:`, in the order they are written."""

    keys: dict[str, Guess]
    fields: dict[str, Guess]


def draft_sources(paths: list[Path], limit: int = 2000) -> tuple[list[SourceDraft], Path]:
    """The source entries for the files, and their common folder (the sources' `path`). A zip archive stands
    for its data members (or a path may run through one: `data.zip/US/test.jsonl`); the entries then name the
    archive and the member pattern inside it."""
    unique = list(dict.fromkeys(m for p in paths for m in expand_archive(Path(p).absolute())))
    samples = [sample_file(p, limit) for p in unique]
    root = Path(os.path.commonpath([p.parent for p in unique]))
    drafts = [d for group in _groups(samples) for d in _draft_group(group, root)]
    archive = archive_of(root)
    if archive is not None:
        inner = root.relative_to(archive).as_posix()
        drafts = [_in_archive(d, archive.name, "" if inner == "." else inner) for d in drafts]
        root = archive.parent
    elif any(archive_of(p) for p in unique):
        raise GlobMedError("files inside a zip archive and outside it (or in two archives) are no one source: "
                           "run `globmed sources infer` on each archive and on the other files separately")
    seen: Counter[str] = Counter()
    for d in drafts:
        base = d.keys["id"].value
        seen[base] += 1
        if seen[base] > 1:
            d.keys["id"] = Guess(f"{base}_{seen[base]}", d.keys["id"].why)
    return drafts, root


def _in_archive(draft: SourceDraft, archive: str, inner: str) -> SourceDraft:
    """A draft over paths through a zip archive: `files` becomes `archive:` + `members:` (patterns inside the
    archive), in the same place among the keys."""
    def member(pattern: str) -> str:
        return f"{inner}/{pattern}" if inner else pattern

    keys: dict[str, Guess] = {}
    for key, guess in draft.keys.items():
        if key == "files":
            value = guess.value
            value = member(value) if isinstance(value, str) else [{**e, "path": member(e["path"])} for e in value]
            keys["archive"] = Guess(archive, "a zip archive: its members are read in place")
            keys["members"] = Guess(value, guess.why)
        elif key == "file_overrides" and guess.value:
            keys[key] = Guess({lang: member(p) for lang, p in guess.value.items()}, guess.why)
        else:
            keys[key] = guess
    return SourceDraft(keys, draft.fields)


def _groups(samples: list[FileSample]) -> list[list[FileSample]]:
    groups: list[tuple[tuple, set[str], list[FileSample]]] = []
    for s in samples:
        kind = (s.format, s.records.value if s.records else None, repr(s.csv.value) if s.csv else None)
        names = set(field_names(s.rows))
        for g_kind, g_names, members in groups:
            if g_kind == kind and len(names & g_names) >= 0.6 * len(names | g_names):
                members.append(s)
                g_names |= names
                break
        else:
            groups.append((kind, names, [s]))
    return [members for _, _, members in groups]


def _file_language(sample: FileSample, question: str) -> Guess | None:
    """The language a file says it is in (a top-level `language` key), else what lingua reads in it."""
    read = detect_language([value_of(r, question) for r in sample.rows])
    declared = code_of(sample.top.get("language"))
    if declared:
        return Guess(declared, f"the file says language: {sample.top['language']}" + (f"; {read.why}" if read else ""))
    return read


def _draft_group(group: list[FileSample], root: Path) -> list[SourceDraft]:
    where = str(group[0].path) if len(group) == 1 else f"{len(group)} files like {group[0].path}"
    text_format = group[0].format in ("csv", "tsv")
    fields = infer_fields([r for s in group for r in s.rows], where, text_format)
    languages = {s.path: _file_language(s, fields.question) for s in group}
    codes = {p: g.value if g else None for p, g in languages.items()}
    layouts = infer_layouts(group, root, codes, names_carry_language=fields.language is None)
    if layouts is not None and fields.language is None and any(
            not layout.languages and _mixed([codes[s.path] for s in layout.samples]) for layout in layouts):
        layouts = None  # files in different languages that no name tells apart: the list form names each one's
    if layouts is None:
        if len({s.path.stem for s in group}) < len(group):  # `{file}` (the stem) would not tell them apart
            return [d for s in group for d in _draft_group([s], root)]
        layouts = [list_layout(group, root, codes if fields.language is None else {})]
    drafts = []
    for layout in layouts:
        own = fields if len(layouts) == 1 else infer_fields([r for s in layout.samples for r in s.rows], where,
                                                             text_format)
        drafts.append(_assemble(layout, own, languages, group))
    return drafts


def _mixed(codes: list[str | None]) -> bool:
    """Files in several languages: no language is read in 80% of the files lingua can read (one stray reading
    among many files is lingua's error, not a file in another language)."""
    votes = Counter(c for c in codes if c)
    return len(votes) > 1 and votes.most_common(1)[0][1] < 0.8 * sum(votes.values())


def _source_id(layout: Layout, group: list[FileSample]) -> tuple[str, str]:
    """From the file name for one file, else from the folder of the group (generic names skipped)."""
    generic = set(words()["generic_folders"])
    if len(group) == 1:
        path = group[0].path
        stem = [t for t in re.split(r"[_.\-]", path.stem) if t and not split_of(t)]
        if stem:
            return _clean("_".join(stem)), "from the file name"
        folder = path.parent
    else:
        folder = Path(os.path.commonpath([s.path.parent for s in group]))
    while folder.name.casefold() in generic and folder.parent != folder:
        folder = folder.parent
    name = _clean(folder.name) + (f"_{layout.label}" if layout.label else "")
    return name, "from the folder name" + (f"; one source per split ({layout.label})" if layout.label else "")


def _clean(name: str) -> str:
    cleaned = re.sub(r"[^a-z0-9_.-]+", "_", name.casefold()).strip("_.-")
    return cleaned or "source"


def _assemble(layout: Layout, fd: FieldDraft, file_languages: dict[Path, Guess | None], group: list[FileSample]
              ) -> SourceDraft:
    first = layout.samples[0]
    n = len(layout.samples)
    keys: dict[str, Guess] = {"id": Guess(*_source_id(layout, group)), "task": fd.task}
    keys["format"] = Guess(first.format, first.how + (f" (first of {n} files)" if n > 1 else ""))
    keys["path"] = Guess(None, "the common folder of the files given")
    keys["files"] = layout.files
    _add_present(keys, records=first.records, csv=first.csv, vars=layout.vars, file_overrides=layout.file_overrides)
    if layout.lang_codes:
        keys["lang_codes"] = Guess(layout.lang_codes, "our code -> the code in the file names")
    languages = _languages(layout, fd, file_languages)
    keys["languages"] = languages
    if fd.language is not None:
        keys["language"] = fd.language
    if layout.splits is not None:
        keys["splits"] = layout.splits
    elif not _listed(layout) or not any("split" in e for e in layout.files.value):
        keys["splits"] = Guess(None, "no split word (train/dev/val/test) in the file names: rows are hash-split "
                                     "(build: split_ratios)")
    original = _original(layout, languages.value) if fd.language is None else None
    if original is not None:
        keys["original_language"] = original
    _add_present(keys, select=fd.select, parallel_fields=fd.parallel, reject_when=fd.reject_when)
    fields = {"id": _row_id(layout, fd, first), **fd.fields}
    return SourceDraft(keys, fields)


def _languages(layout: Layout, fd: FieldDraft, file_languages: dict[Path, Guess | None]) -> Guess:
    if fd.language is not None:
        extra = [lang for lang in (fd.parallel.value if fd.parallel else {}) if lang not in fd.column_languages]
        return Guess(fd.column_languages + extra, "the languages of the language column" +
                     (f", and {', '.join(extra)} from parallel_fields" if extra else ""))
    if layout.languages:
        return Guess(layout.languages, layout.languages_why)
    guesses = [file_languages[s.path] for s in layout.samples if file_languages.get(s.path)]
    if not guesses:
        return Guess(["en"], "lingua could not tell (too little text): check")
    votes = Counter(g.value for g in guesses)
    code, count = votes.most_common(1)[0]
    why = next(g.why for g in guesses if g.value == code)
    if len(guesses) > 1:
        why = f"{count}/{len(guesses)} files read as {code}; first: {why}"
    return Guess([code], why)


def _original(layout: Layout, languages: list[str]) -> Guess | None:
    """Which languages are originals (not translations): the untagged language of parallel files, else all."""
    if layout.parallel is not None and layout.parallel.value:
        untagged = next(iter(layout.file_overrides.value)) if layout.file_overrides else None
        origin = untagged or ("en" if "en" in languages else None)
        if origin is None:
            return None
        how = "the language of the files without a code" if untagged else "en among parallel files"
        return Guess([origin], f"{how}; the other languages are translations ({layout.parallel.why})")
    if languages == ["en"]:
        return None
    why = "each file is in its own language, not a translation"
    if layout.parallel is not None:
        why += f" ({layout.parallel.why})"
    return Guess(languages, why)


def _listed(layout: Layout) -> bool:
    return isinstance(layout.files.value, list)


def _unique_within(groups: list[list[dict]]) -> str | None:
    """An id field present and unique within each group of rows (each language, each file)."""
    found = {find_id(rows, field_names(rows), set())[0] for rows in groups}
    return found.pop() if len(found) == 1 else None


def _row_id(layout: Layout, fd: FieldDraft, first: FileSample) -> Guess:
    """An id field unique in the sample, else one unique within each language (parallel files) or file (list
    form), else one unique with a record key (`{exam}-{qid}`), else a template of file variables and `{row}`."""
    record_vars = [v.strip("{}") for v in (first.records.value.split(".") if first.records else [])
                   if v.startswith("{")]
    if fd.id_field:
        copied = f"; each record's key, copied into it by records: {first.records.value}" if (
            fd.id_field in record_vars) else ""
        return Guess(fd.id_field, fd.id_why + copied)
    parallel = layout.parallel is not None and bool(layout.parallel.value)
    if _listed(layout):
        name = _unique_within([s.rows for s in layout.samples])
        if name:
            return Guess(f"{{file}}-{{{name}}}", f"{name} is unique within each file, not across them")
        return Guess("{file}-{row}", f"{fd.id_why}; {{file}}: the file's name tells the files apart")
    if len(layout.languages) > 1 and parallel:
        by_language: dict[str | None, list[dict]] = {}
        for s in layout.samples:
            by_language.setdefault(layout.file_language.get(s.path), []).extend(s.rows)
        name = _unique_within(list(by_language.values()))
        if name:
            return Guess(name, "unique within each language; the same ids in every language (parallel files)")
    rows = [r for s in layout.samples for r in s.rows]
    for var in record_vars:
        for name in id_candidates(field_names(rows), {var}):
            pairs = {(str(r.get(var)), str(value_of(r, name))) for r in rows}
            if len(pairs) == len(rows) and all(value_of(r, name) is not None for r in rows):
                return Guess(f"{{{var}}}-{{{name}}}", f"{fd.id_why}; ({var}, {name}) is unique in {len(rows)}/"
                                                      f"{len(rows)} rows")
    parts = ["{lang}"] if len(layout.languages) > 1 and not parallel else []
    parts += ["{" + v + "}" for v in layout.var_names]
    if layout.splits is not None:
        several = any(isinstance(v, list) for v in layout.splits.value.values())
        parts.append("{part}" if several else "{split}")  # {part}: the file's own split word
    name = _unique_within([s.rows for s in layout.samples]) if parts and not record_vars else None
    if name:  # the file's variables tell the files apart, the field the rows within one file
        return Guess("-".join([*parts, f"{{{name}}}"]), f"{fd.id_why}; {name} is unique within each file")
    parts += ["{" + v + "}" for v in record_vars] + ["{row}"]
    why = fd.id_why + ("; {lang}: row numbers of different languages are different items" if parts[0] == "{lang}"
                       else "; no {lang}: row i is the same item in every language" if parallel else "")
    return Guess("-".join(parts), why)


def _add_present(keys: dict[str, Guess], **guesses: Guess | None) -> None:
    """The guesses that were made, in the order given (a key with no guess is left out of the draft)."""
    keys.update({key: guess for key, guess in guesses.items() if guess is not None})
