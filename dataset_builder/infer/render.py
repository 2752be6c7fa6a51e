"""Write source drafts as a sources YAML whose every guess carries its evidence as a comment.

Values are dumped one per line in YAML flow style by PyYAML (so quoting is always right), and the comment is
appended: `answer: answer_idx  # letter — 1273/1273 values in A–E`. A guess without a value (a key the draft
does not need, such as `splits` for files without split words) is written as a comment line, so the reader
sees what was looked for.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from dataset_builder.infer.common import Guess
from dataset_builder.infer.draft import SourceDraft


def flow(value: Any) -> str:
    """One value on one line, quoted where YAML needs it."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, sort_keys=False, width=1 << 20)
    text = text.strip()
    return text[: -len("...")].strip() if text.endswith("\n...") else text


def _line(indent: str, key: str, guess: Guess) -> list[str]:
    why = " ".join(guess.why.split())
    if guess.value is None:
        return [f"{indent}# {key}: not set{' — ' + why if why else ''}"]
    comment = f"  # {why}" if why else ""
    if key in ("files", "members") and isinstance(guess.value, list):
        return [f"{indent}{key}:{comment}"] + [f"{indent}  - {flow(entry)}" for entry in guess.value]
    return [f"{indent}{key}: {flow(guess.value)}{comment}"]


def render(drafts: list[SourceDraft], root: Path, out: Path | None, command: str) -> str:
    """The YAML text; `path` is relative to the folder of `out`, or absolute when printed."""
    path = os.path.relpath(root, out.absolute().parent) if out is not None else str(root)
    lines = [
        f"# Drafted by `{command}`.",
        "# Every guess carries its evidence as a comment: check them, add license / citation / homepage, then run",
        "# `globmed build --sources THIS_FILE`.",
        "sources:",
    ]
    for draft in drafts:
        for i, (key, guess) in enumerate(draft.keys.items()):
            if key == "path":
                guess = Guess(path, guess.why)
            indent = "  - " if i == 0 else "    "
            lines += _line(indent, key, guess)
        lines.append("    fields:")
        for key, guess in draft.fields.items():
            lines += _line("      ", key, guess)
    return "\n".join(lines) + "\n"
