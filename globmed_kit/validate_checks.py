"""The checkers behind `globmed validate`, collected from the parts: each part declares its kinds of declarative
file in `<part>/validators.py` (`FILE_KINDS`, see globmed.validation); this module only wires them together, plus
the kernel's own file (languages.yaml).

A checker hands the file to the loader its part uses at run time, so the rules are never written twice; loaders
are imported inside the checkers, so checking a sources YAML never imports TRL and `--help` imports nothing heavy.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from globmed.validation import FileKind, package_dir, shipped_only

# the parts that declare file kinds, in the order of the data flow (shipped files are listed in this order)
PART_VALIDATORS = ("dataset_builder.validators", "training.validators", "benchmark.validators",
                   "space_app.validators")

def check_languages(path: Path, data: Any) -> str:
    from globmed.languages import all_languages, known_languages, language_registry

    shipped_only(path, "globmed", "languages.yaml")
    language_registry.cache_clear()
    langs = all_languages()
    low = sum(lang.low_resource for lang in langs)
    opt_in = [lang.code for lang in known_languages() if lang.opt_in]
    extra = f", opt-in {', '.join(opt_in)}" if opt_in else ""
    return f"{len(langs)} languages, {len(langs) - low} high-resource, {low} low-resource{extra}"

KERNEL_KINDS = [
    FileKind("languages", check_languages, lambda: [package_dir("globmed") / "languages.yaml"],
             lambda data: isinstance(data, list) and bool(data)
             and all(isinstance(e, dict) and "code" in e for e in data)),
]

def file_kinds() -> list[FileKind]:
    """The kernel's kinds, then every part's, in data-flow order."""
    kinds = list(KERNEL_KINDS)
    for module in PART_VALIDATORS:
        kinds += importlib.import_module(module).FILE_KINDS
    return kinds

def checkers() -> dict[str, list[FileKind]]:
    """Kind name -> the checkers registered for it (several parts may check one kind)."""
    out: dict[str, list[FileKind]] = {}
    for kind in file_kinds():
        out.setdefault(kind.name, []).append(kind)
    return out

def run_checks(kind: str, path: Path, data: Any) -> str:
    """Every checker of `kind` on one file; their summaries joined."""
    return "; ".join(s for s in (k.check(path, data) for k in checkers()[kind]) if s)

