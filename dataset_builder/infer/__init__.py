"""`globmed sources infer`: draft a sources YAML entry from the first rows of data files.

Modules, one job each: `read` (formats, record paths in JSON objects, CSV headers), `fields` (column roles and
the task), `shapes` (option and answer shapes), `language` (lingua and language codes), `layout` (the files
pattern, splits, languages from file names), `draft` (putting the guesses together), `render` (the YAML with
one evidence comment per guess). The words it recognises live in words.yaml.
"""

from __future__ import annotations

from pathlib import Path

from dataset_builder.infer.draft import SourceDraft, draft_sources
from dataset_builder.infer.render import render

__all__ = ["SourceDraft", "draft_sources", "infer_yaml"]


def infer_yaml(paths: list[Path], limit: int = 2000, out: Path | None = None) -> str:
    """The draft sources YAML for `paths`, reading at most `limit` rows of each file."""
    drafts, root = draft_sources(paths, limit)
    shown = " ".join(p.name for p in paths[:3]) + (" ..." if len(paths) > 3 else "")
    return render(drafts, root, out, f"globmed sources infer {shown}  (first {limit} rows of each file)")
