"""Versioned prompt templates (prompts.yaml) rendered into chat messages.

Prompts are data: changing one changes the file hash, hence the cache key, so cached results from an older prompt
are never reused by mistake.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from globmed.errors import GlobMedError
from globmed.yaml_io import check_keys, load_mapping

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

    path = Path(path) if path else Path(__file__).with_name("prompts.yaml")
    data = load_mapping(path, "translate prompts", ("version", *STEPS), required=("version", *STEPS))
    if not isinstance(data["version"], str):
        raise GlobMedError(f"{path}: translate prompts: version: expected a string such as 'v1'")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False)
    templates: dict[str, dict[str, Any]] = {}
    for step in STEPS:
        entry = data[step]
        where = f"{path}: translate prompts: {step}"
        if not isinstance(entry, dict):
            raise GlobMedError(f"{where}: expected a mapping with system and user templates")
        check_keys(entry, ("system", "user"), where, required=("system", "user"))
        templates[step] = {k: _template(env, entry[k], f"{where}: {k}") for k in ("system", "user")}
    text = path.read_text(encoding="utf-8")  # hashed as text, as before: earlier cache keys stay valid
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return PromptSet(version=f"{data['version']}+{digest}", templates=templates)


def _template(env: Any, source: Any, where: str) -> Any:
    """A compiled Jinja template; a non-string or a syntax error is one line naming the step and the line."""
    import jinja2

    if not isinstance(source, str):
        raise GlobMedError(f"{where}: expected a template string, got {type(source).__name__}")
    try:
        return env.from_string(source)
    except jinja2.TemplateSyntaxError as err:
        raise GlobMedError(f"{where}: template syntax error at line {err.lineno}: {err.message}") from None
