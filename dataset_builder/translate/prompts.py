"""Versioned prompt templates (prompts.yaml) rendered into chat messages.

Prompts are data: changing one changes the file hash, hence the cache key, so cached results from an older prompt
are never reused by mistake.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from globmed.errors import GlobMedError

STEPS = ("translate", "review", "revise", "backtranslate")


@dataclass
class PromptSet:
    version: str  # declared version + short hash of the file, e.g. "v1+3fa2c1d0"
    templates: dict[str, dict[str, Any]]  # step -> {"system": Template, "user": Template}

    def messages(self, step: str, **context: Any) -> list[dict[str, str]]:
        tpl = self.templates[step]
        return [
            {"role": "system", "content": tpl["system"].render(**context)},
            {"role": "user", "content": tpl["user"].render(**context)},
        ]


def load_prompts(path: str | Path | None = None) -> PromptSet:
    """Load prompts.yaml (the bundled one unless `path` is given); every step needs a system and a user template."""
    import jinja2

    if path is None:
        text = resources.files(__package__).joinpath("prompts.yaml").read_text(encoding="utf-8")
        where = "prompts.yaml (bundled)"
    else:
        if not Path(path).is_file():
            raise GlobMedError(f"prompts file {path}: no such file")
        text, where = Path(path).read_text(encoding="utf-8"), str(path)
    data = yaml.safe_load(text) or {}
    if not isinstance(data.get("version"), str):
        raise GlobMedError(f"{where}: missing string key 'version'")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False)
    templates: dict[str, dict[str, Any]] = {}
    for step in STEPS:
        entry = data.get(step)
        if not isinstance(entry, dict) or not {"system", "user"} <= set(entry):
            raise GlobMedError(f"{where}: step {step!r} needs 'system' and 'user' templates")
        templates[step] = {k: env.from_string(entry[k]) for k in ("system", "user")}
    unknown = set(data) - set(STEPS) - {"version"}
    if unknown:
        raise GlobMedError(f"{where}: unknown keys {', '.join(sorted(unknown))}; expected version, {', '.join(STEPS)}")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return PromptSet(version=f"{data['version']}+{digest}", templates=templates)
