"""The declarative source registry: YAML files whose entries say where a source's files are and how to read them.

`load_sources("sample" | "hub" | "english" | PATH)` returns the entries as typed `SourceSpec`s plus the YAML's
`build:` options. `SourceSpec.files_to_read()` expands the file pattern (or the explicit file list) into one
`FileTask` per language, split, split part and extra variable, so the reader never needs to know a source's
layout. A source whose rows name their own language (`language: {field: ...}`) gets tasks with language
ROW_LANGUAGE: the file is read once and each row is routed. A source whose files are members of a zip archive
(`archive:` + `members:`) gets tasks naming the archive and the member. A `local:` source's files are not
public (credentialed, or given on request): the user gives their path at build time (`local_sources.py`).
See the source contract in the README.
"""

from __future__ import annotations

import dataclasses
import glob
import itertools
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from dataset_builder.readers import Member, SourcePath, format_of, open_member
from globmed.errors import GlobMedError
from globmed.schema import SPLITS, TASKS
from globmed.yaml_io import check_keys, load_mapping

FORMATS = ("json", "jsonl", "csv", "tsv", "parquet")
ACCESS = ("open", "gated", "credentialed")  # how a user gets the upstream files (the dataset card says which)
ROW_LANGUAGE = "*"  # FileTask.language of a file whose rows carry their language in a column
BUNDLED = ("sample", "hub", "english")
_SOURCE_KEYS = {
    "id", "name", "task", "license", "citation", "homepage", "format", "path", "hub", "files", "languages",
    "splits", "adapter", "fields", "translation", "original_language", "file_overrides", "vars", "csv", "select",
    "split_ratios", "lang_codes", "description", "records", "language", "reject_when", "parallel_fields",
    "archive", "members", "local", "access", "hub_license",
}
_GLOB = re.compile(r"[*?\[]")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class FileTask:
    """One file to read: which source, language, split (or None: hash split) and where it is."""

    source: str
    language: str  # our code (or the file's own code if not in the registry), or ROW_LANGUAGE
    split: str | None
    relpath: str  # path inside the source folder / Hub repo (of the archive, for a member)
    variables: tuple[tuple[str, str], ...] = ()
    member: str = ""  # the file's name inside the archive at `relpath`, or "" for a plain file

    @property
    def vars(self) -> dict[str, str]:
        return dict(self.variables)

    @property
    def label(self) -> str:
        """How rejects, the manifest and messages name the file: `data_clean.zip/data_clean/.../test.jsonl`."""
        return f"{self.relpath}/{self.member}" if self.member else self.relpath

    def opened(self, path: SourcePath) -> FileTask:
        """This task naming the member actually opened (a glob pattern resolved inside its archive)."""
        name = path.name if isinstance(path, Member) else self.member
        return self if name == self.member else dataclasses.replace(self, member=name)


@dataclass
class SourceSpec:
    """One entry of a sources YAML (keys documented in the README's source contract)."""

    id: str
    task: str
    format: str
    files: str | list[dict[str, str]]  # a pattern, or explicit entries {path, split?, language?} (`members:`)
    name: str = ""
    license: str = ""  # the upstream dataset's own licence: every row carries it
    hub_license: str = ""  # what the card of the Hub copy read states, where it differs from `license`
    access: str = "open"  # open | gated (Hub access request) | credentialed (e.g. PhysioNet)
    citation: str = ""
    homepage: str = ""
    description: str = ""
    path: Path | None = None
    hub: dict[str, str] | None = None
    local: dict[str, str] | None = None  # {get, give}: files the user supplies (`--local ID=PATH`); sets `path`
    archive: str | None = None  # a zip in the folder / repo; `files` then names members inside it
    languages: list[str] = field(default_factory=lambda: ["en"])
    splits: dict[str, list[str]] | None = None  # our split -> values of {split} in file names (one file each)
    adapter: str | None = None
    fields: dict[str, Any] | None = None
    translation: dict[str, Any] = field(default_factory=lambda: {"method": "machine", "model": ""})
    original_language: list[str] = field(default_factory=lambda: ["en"])  # languages that are not translations
    file_overrides: dict[str, str] = field(default_factory=dict)  # language -> its own file pattern
    vars: dict[str, list[str]] = field(default_factory=dict)  # extra placeholders, each a list of values
    csv: dict[str, Any] = field(default_factory=dict)
    select: list[dict[str, Any]] = field(default_factory=list)  # [{field, values}]: other rows "not_selected"
    split_ratios: dict[str, float] | None = None
    lang_codes: dict[str, str] = field(default_factory=dict)  # our code -> code used in file names
    records: str | None = None  # dotted path to the record list inside a JSON object (readers.walk_records)
    language: dict[str, Any] | None = None  # {field: F, codes: {JP: ja}}: each row's language from a column
    reject_when: list[dict[str, Any]] = field(default_factory=list)  # rules -> reject "source_flagged"
    parallel_fields: dict[str, dict[str, Any]] = field(default_factory=dict)  # language -> fields overrides
    yaml_file: str = ""  # where the entry came from, for messages

    def where(self) -> str:
        return f"{self.yaml_file}: source {self.id!r}"

    @property
    def location(self) -> str:
        return f"hub:{self.hub['repo']}" if self.hub else str(self.path)

    def source_file(self, task: FileTask) -> SourcePath:
        """What to read for `task`: the local file, or the Hub file (from the mirror, else downloaded); a member
        is opened inside its archive (a missing one is named there)."""
        if self.hub:
            from dataset_builder.hub import fetch

            return self._member(fetch(self, task.relpath), task)
        return self._member(self._folder() / task.relpath, task)

    def file_here(self, task: FileTask) -> SourcePath | None:
        """`source_file` without the network: a Hub file only when already on this machine (mirror or
        huggingface_hub cache), a local one only when it exists; else None."""
        if self.hub:
            from dataset_builder.hub import local_copy

            path = local_copy(self, task.relpath)
        else:
            path = self._folder() / task.relpath
        return self._member(path, task) if path is not None and path.is_file() else None

    def _folder(self) -> Path:
        if self.path is None:  # a local: source whose path was not given (local_sources.resolve_local)
            raise GlobMedError(f"{self.where()}: its files are given at build time: --local '{{{self.id}: PATH}}'")
        return self.path

    @staticmethod
    def _member(path: Path, task: FileTask) -> SourcePath:
        return open_member(path, task.member) if task.member else path

    def _task(self, language: str, split: str | None, path: str, values: dict[str, str]) -> FileTask:
        """One file; with an archive, `path` is the member and the archive's name is formatted with the same
        values (so an archive per split, `{split}.zip`, works too)."""
        variables = tuple(sorted(values.items()))
        if not self.archive:
            return FileTask(self.id, language, split, path, variables)
        try:
            archive = self.archive.format(**values)
        except KeyError as err:
            raise GlobMedError(f"{self.where()}: archive {self.archive!r} uses unknown {{{err.args[0]}}}") from None
        return FileTask(self.id, language, split, archive, variables, member=path)

    def files_to_read(self, languages: list[str]) -> list[FileTask]:
        """Every file of this source for the given languages, in a stable order (language, split, vars).

        A local pattern with glob characters (`train-*.parquet`) expands to the matching files, sorted.
        """
        if isinstance(self.files, list):
            return self._listed_files(languages)
        names = sorted(self.vars)
        combos = list(itertools.product(*(self.vars[n] for n in names))) or [()]
        split_items = [(s, v) for s, values in self.splits.items() for v in values] if self.splits else [(None, None)]
        several = bool(self.splits) and any(len(v) > 1 for v in self.splits.values())
        langs = [ROW_LANGUAGE] if self.language else [code for code in self.languages if code in languages]
        tasks = []
        for lang in langs:
            pattern = self.file_overrides.get(lang, self.files)
            for split, split_value in split_items:
                for combo in combos:
                    values = dict(zip(names, combo, strict=True))
                    if lang != ROW_LANGUAGE:
                        values["lang"] = self.lang_codes.get(lang, lang)
                    if split_value is not None:
                        values["split"] = split_value
                    try:
                        relpath = pattern.format(**values)
                    except KeyError as err:
                        raise GlobMedError(
                            f"{self.where()}: files pattern {pattern!r} uses unknown {{{err.args[0]}}}") from None
                    if several:
                        values["part"] = split_value
                    for path in self._expand(relpath):
                        tasks.append(self._task(lang, split, path, {**values, "file": Path(path).stem}))
        return tasks

    def _listed_files(self, languages: list[str]) -> list[FileTask]:
        """The explicit `files:` list: each entry names its path and, where the source has several, its split
        and language."""
        tasks = []
        for entry in self.files:
            lang = ROW_LANGUAGE if self.language else entry.get("language") or self.languages[0]
            if lang != ROW_LANGUAGE and lang not in languages:
                continue
            tasks += [self._task(lang, entry.get("split"), path, {"file": Path(path).stem})
                      for path in self._expand(entry["path"])]
        return tasks

    def _expand(self, relpath: str) -> list[str]:
        """A glob pattern in a local source -> the matching files (sorted); anything else as it is (a member
        pattern is matched inside its archive when the file is opened)."""
        if self.path is None or self.archive or not _GLOB.search(relpath):
            return [relpath]
        matches = sorted(str(Path(m).relative_to(self.path)) for m in glob.glob(str(self.path / relpath)))
        if not matches:
            raise GlobMedError(f"{self.where()}: no file matches {self.path / relpath}")
        return matches

    def default_id(self) -> str:
        """The id template when `fields:` gives none: row numbers are unique within one file."""
        if isinstance(self.files, list) or _GLOB.search(self.files):
            return "{split}-{file}-{row}"
        if any(len(v) > 1 for v in (self.splits or {}).values()):
            return "{split}-{part}-{row}"
        return "{split}-{row}"


def bundled_sources_dir() -> Path:
    return Path(str(resources.files("dataset_builder").joinpath("sources")))


def resolve_sources_path(spec: str | Path) -> Path:
    """`sample`, `hub`, `english` -> the bundled YAML; anything else is a path to a YAML file."""
    if str(spec) in BUNDLED:
        return bundled_sources_dir() / f"{spec}.yaml"
    path = Path(spec)
    if not path.is_file():
        raise GlobMedError(f"--sources {spec}: no such file; use sample, hub, english or a path to a sources YAML")
    return path


def load_sources(spec: str | Path) -> tuple[list[SourceSpec], dict[str, Any]]:
    """Parse and check a sources YAML; returns its entries and its `build:` options (unchecked mapping)."""
    path = resolve_sources_path(spec)
    data = load_mapping(path, "sources", ("sources", "build"), required=("sources",))
    if not isinstance(data["sources"], list):
        raise GlobMedError(f"{path}: sources: expected a list of source entries under `sources:`")
    specs, seen = [], set()
    for index, entry in enumerate(data["sources"]):
        spec_ = _parse_entry(entry, index, path)
        if spec_.id in seen:
            raise GlobMedError(f"{path}: source id {spec_.id!r} appears twice")
        seen.add(spec_.id)
        specs.append(spec_)
    return specs, data.get("build") or {}


def _codes(value: Any, every: bool = False) -> list[str]:
    """`all`, "en,sw" or a list -> a list of codes. `all` is the twelve GlobMed languages, or with `every` the
    whole registry (opt-in ones too): "every language of this source is an original" must cover them."""
    if value == "all":
        from globmed.languages import known_language_codes, language_codes

        return known_language_codes() if every else language_codes()
    if isinstance(value, str):
        return [c.strip() for c in value.split(",") if c.strip()]
    return [str(c) for c in value]


def _parse_entry(entry: Any, index: int, path: Path) -> SourceSpec:
    where = f"{path}: sources[{index}]"
    if not isinstance(entry, dict):
        raise GlobMedError(f"{where}: expected a mapping, got {type(entry).__name__}")
    check_keys(entry, _SOURCE_KEYS, where, required=("id", "task"))
    sid = str(entry["id"])
    where = f"{path}: source {sid!r}"
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", sid):
        raise GlobMedError(f"{where}: id must be lowercase letters, digits, _ . -")
    if entry["task"] not in TASKS:
        raise GlobMedError(f"{where}: task {entry['task']!r} is not one of {', '.join(TASKS)}")
    archive, files_key = _archive(entry, where)
    check_keys(entry, None, where, required=(files_key,))
    fmt = entry.get("format") or (_members_format(entry["members"]) if archive else None)
    if fmt not in FORMATS:
        said = f"format {fmt!r} is not one of {', '.join(FORMATS)}" if fmt else "missing required key 'format'"
        hint = " (the member names do not say it: give format:)" if archive and not fmt else ""
        raise GlobMedError(f"{where}: {said}{hint}")
    if sum(key in entry for key in ("path", "hub", "local")) != 1:
        raise GlobMedError(f"{where}: give exactly one of path, hub or local")
    access = str(entry.get("access", "open"))
    if access not in ACCESS:
        raise GlobMedError(f"{where}: access must be one of {', '.join(ACCESS)}, got {access!r}")
    local_files = _local(entry.get("local"), where) if "local" in entry else None
    if bool(entry.get("adapter")) == bool(entry.get("fields")):
        raise GlobMedError(f"{where}: give exactly one of adapter or fields")
    local = None
    if "path" in entry:
        local = Path(entry["path"])
        if not local.is_absolute():
            local = (path.parent / local).resolve()
    hub = entry.get("hub")
    if hub is not None and (not isinstance(hub, dict) or not hub.get("repo")):
        raise GlobMedError(f"{where}: hub must be a mapping with repo (and optional revision)")
    languages = _codes(entry.get("languages", ["en"]))
    splits = entry.get("splits")
    if splits is not None:
        if not isinstance(splits, dict) or set(splits) - set(SPLITS):
            raise GlobMedError(f"{where}: splits must map {', '.join(SPLITS)} to file values, got {splits!r}")
        splits = {k: [str(x) for x in v] if isinstance(v, list) else [str(v)] for k, v in splits.items()}
    files = _files(entry[files_key], where, splits, languages, entry.get("language"), files_key)
    if isinstance(files, list) and any("language" in e for e in files):
        languages = list(dict.fromkeys(e.get("language", languages[0]) for e in files))
    language = _language_column(entry.get("language"), where)
    if language:
        languages = [ROW_LANGUAGE]
        if isinstance(files, str) and "{lang}" in files:
            raise GlobMedError(f"{where}: files uses {{lang}} but the rows' language comes from `language:`")
    records = entry.get("records")
    if records is not None and (not isinstance(records, str) or fmt != "json"):
        raise GlobMedError(f"{where}: records must be a dotted path (e.g. exams.{{exam}}.data); format must be json")
    reject_when = _rules(entry.get("reject_when"), "reject_when", where, values_required=False)
    select = _rules(entry.get("select"), "select", where, values_required=True)
    parallel = entry.get("parallel_fields") or {}
    if not isinstance(parallel, dict) or not all(isinstance(v, dict) for v in parallel.values()):
        raise GlobMedError(f"{where}: parallel_fields maps a language code to fields overrides, e.g. "
                           f"{{en: {{question: question_EN}}}}")
    original = entry.get("original_language", ROW_LANGUAGE if language else "en")
    translation = {"method": "machine", "model": ""} | dict(entry.get("translation") or {})
    spec = SourceSpec(
        id=sid, task=entry["task"], format=fmt, files=files, archive=archive, local=local_files, access=access,
        name=str(entry.get("name", sid)), license=str(entry.get("license", "")),
        hub_license=str(entry.get("hub_license", "")),
        citation=str(entry.get("citation", "")).strip(), homepage=str(entry.get("homepage", "")),
        description=str(entry.get("description", "")), path=local, hub=hub, languages=list(languages),
        splits=splits, records=records, language=language, reject_when=list(reject_when),
        parallel_fields={str(k): dict(v) for k, v in parallel.items()}, adapter=entry.get("adapter"),
        fields=entry.get("fields"), translation=translation,
        original_language=[ROW_LANGUAGE] if original == ROW_LANGUAGE else _codes(original, every=True),
        file_overrides={str(k): str(v) for k, v in (entry.get("file_overrides") or {}).items()},
        vars={str(k): [str(x) for x in v] for k, v in (entry.get("vars") or {}).items()},
        csv=dict(entry.get("csv") or {}), select=select, split_ratios=entry.get("split_ratios"),
        lang_codes={str(k): str(v) for k, v in (entry.get("lang_codes") or {}).items()}, yaml_file=str(path),
    )
    if isinstance(spec.files, str) and "{split}" in spec.files and not spec.splits:
        raise GlobMedError(f"{where}: {files_key} uses {{split}} but no splits mapping is given")
    from dataset_builder.adapters import check_spec

    check_spec(spec)
    return spec


def _files(value: Any, where: str, splits: dict[str, list[str]] | None, languages: list[str],
           language_column: Any, key: str = "files") -> str | list[dict[str, str]]:
    """`files:` (or an archive's `members:`) is a pattern string or a list of {path, split?, language?} entries
    (files sharing no pattern)."""
    if isinstance(value, str):
        return value
    if not isinstance(value, list) or not all(isinstance(e, dict) and e.get("path") for e in value):
        raise GlobMedError(f"{where}: {key} must be a pattern string or a list of {{path, split, language}} entries")
    entries = []
    for entry in value:
        check_keys(entry, ("path", "split", "language"), f"{where}: {key} entry {entry['path']!r}")
        if entry.get("split") is not None and entry["split"] not in SPLITS:
            raise GlobMedError(f"{where}: {key} entry {entry['path']!r}: split must be one of {', '.join(SPLITS)}")
        if not language_column and not entry.get("language") and len(languages) != 1:
            raise GlobMedError(f"{where}: {key} entry {entry['path']!r} needs a language (the source has several)")
        entries.append({k: str(v) for k, v in entry.items() if v is not None})
    if splits:
        raise GlobMedError(f"{where}: with a {key} list, give each file's split in its entry, not splits:")
    return entries


def _archive(entry: dict[str, Any], where: str) -> tuple[str | None, str]:
    """(`archive:`, the key naming the files): `members:` inside an archive, else `files:`."""
    archive = entry.get("archive")
    if archive is None and "members" not in entry:
        return None, "files"
    if not isinstance(archive, str) or not archive.strip() or not entry.get("members"):
        raise GlobMedError(f"{where}: archive and members go together, e.g. archive: data_clean.zip, "
                           f"members: \"data_clean/questions/US/{{split}}.jsonl\"")
    if "files" in entry:
        raise GlobMedError(f"{where}: with archive, members names the files inside it: drop files")
    return archive.strip(), "members"


def _members_format(members: Any) -> str | None:
    """The format the member names say (all the same), or None."""
    names = [members] if isinstance(members, str) else [e.get("path", "") for e in members
                                                        if isinstance(e, dict)] if isinstance(members, list) else []
    formats = {format_of(name) for name in names}
    return formats.pop() if len(formats) == 1 else None


def _local(value: Any, where: str) -> dict[str, str]:
    """`local: {get: where to obtain the files, give: what PATH the user passes}`."""
    if not isinstance(value, dict):
        raise GlobMedError(f"{where}: local must be {{get: where to obtain the files, give: what to pass}}")
    check_keys(value, ("get", "give"), f"{where}: local", required=("get",))
    return {key: " ".join(str(text).split()) for key, text in value.items()}


def _rules(value: Any, key: str, where: str, values_required: bool) -> list[dict[str, Any]]:
    """`select` / `reject_when`: one {field, values} rule or a list of them (a row must match every select rule;
    any one reject_when rule flags it)."""
    rules = [value] if isinstance(value, dict) else value or []
    shape = "{field: F, values: [...]}" + ("" if values_required else " (values optional)")
    if not isinstance(rules, list):
        raise GlobMedError(f"{where}: {key} must be {shape} or a list of them, got {value!r}")
    for rule in rules:
        if (not isinstance(rule, dict) or not isinstance(rule.get("field"), str) or set(rule) - {"field", "values"}
                or (values_required and not isinstance(rule.get("values"), list))
                or ("values" in rule and not isinstance(rule["values"], list))):
            raise GlobMedError(f"{where}: each {key} rule is {shape}, got {rule!r}")
    return [dict(rule) for rule in rules]


def _language_column(value: Any, where: str) -> dict[str, Any] | None:
    """`language: {field: F, codes: {JP: ja}}` (or just the field name) -> normalised mapping, or None."""
    if value is None:
        return None
    if isinstance(value, str):
        value = {"field": value}
    if not isinstance(value, dict) or not value.get("field") or set(value) - {"field", "codes"}:
        raise GlobMedError(f"{where}: language must be {{field: F, codes: {{JP: ja, ...}}}} (codes optional)")
    codes = value.get("codes") or {}
    if not isinstance(codes, dict):
        raise GlobMedError(f"{where}: language.codes must map the file's codes to ours, e.g. {{JP: ja}}")
    return {"field": str(value["field"]), "codes": {str(k): str(v) for k, v in codes.items()}}
