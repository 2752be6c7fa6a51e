"""Sources whose files are not public (`local:` in a sources YAML): the user gives their path at build time, or
leaves the source out by name.

MedNLI is credentialed (PhysioNet's data use agreement): no Hub token gives its files, so the kit cannot fetch
them, and BioNLI is published through file-sharing links only. A build must never lose a source of the mixture
without saying so: without the path it stops with one line that says where to get the files and how to pass
them, and `--allow-missing ID` builds without that source, which the build report then lists under
`missing_sources` (and the dataset card says so).
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

from dataset_builder.sources import SourceSpec
from globmed.errors import GlobMedError

logger = logging.getLogger(__name__)


def resolve_local(specs: list[SourceSpec], given: dict[str, str], allow_missing: list[str]
                  ) -> tuple[list[SourceSpec], list[dict[str, Any]]]:
    """(the specs to build, each `local:` one with its given path; the local sources left out by
    `allow_missing`). A local source neither given nor allowed to be missing is a one-line error for all."""
    local = {spec.id: spec for spec in specs if spec.local}
    for option, ids in (("--local", list(given)), ("--allow-missing", list(allow_missing))):
        unknown = [sid for sid in ids if sid not in local]
        if unknown:
            known = ", ".join(local) or "none"
            raise GlobMedError(f"{option} names {', '.join(unknown)}: not a local: source of this sources YAML "
                               f"(its local sources: {known})")
    kept, missing, needed = [], [], []
    for spec in specs:
        if not spec.local:
            kept.append(spec)
        elif spec.id in given:
            kept.append(_with_path(spec, Path(str(given[spec.id])).expanduser()))
        elif spec.id in allow_missing:
            logger.warning("source %s left out (--allow-missing); to include it: %s", spec.id, spec.local["get"])
            missing.append({"id": spec.id, "name": spec.name, "access": spec.access, "get": spec.local["get"]})
        else:
            needed.append(spec)
    if needed:
        what = "; ".join(f"{spec.id} ({spec.name}, {spec.access}): {spec.local['get']}"
                         + (f"; give {spec.local['give']}" if spec.local.get("give") else "") for spec in needed)
        paths = ", ".join(f"{spec.id}: PATH" for spec in needed)
        ids = ",".join(spec.id for spec in needed)
        raise GlobMedError(f"{len(needed)} source(s) have files the kit cannot fetch: {what}; pass --local "
                           f"'{{{paths}}}', or build without them with --allow-missing {ids}")
    return kept, missing


def _with_path(spec: SourceSpec, path: Path) -> SourceSpec:
    """The spec reading from `path`: a folder holding its files, or (for an archive source) the archive itself,
    whatever its file name."""
    give = f" ({spec.local['give']})" if spec.local and spec.local.get("give") else ""
    if not path.exists():
        raise GlobMedError(f"--local {spec.id}={path}: no such file or folder{give}")
    if path.is_dir():
        return dataclasses.replace(spec, path=path.resolve())
    if not spec.archive or "{" in spec.archive:
        raise GlobMedError(f"--local {spec.id}={path} is a file: give the folder holding the source's files{give}")
    return dataclasses.replace(spec, path=path.absolute().parent, archive=path.name)
