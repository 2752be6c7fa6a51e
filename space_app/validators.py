"""The Space's declarative file for `globmed validate`: the chat's example questions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from globmed.errors import GlobMedError
from globmed.validation import FileKind, package_dir, shipped_only


def check_space_examples(path: Path, data: Any) -> str:
    from globmed.languages import language_codes
    from space_app.chat import example_questions

    shipped_only(path, "space_app", "examples.yaml")
    missing_dir = path.parent / "no-such-sample"  # forces the shipped examples, never the sample's questions
    counts = {code: len(example_questions(code, missing_dir, limit=1000)) for code in language_codes()}
    empty = [code for code, n in counts.items() if not n]
    if empty:
        raise GlobMedError(f"no example questions for {', '.join(empty)} (listed in globmed/languages.yaml)")
    return f"{len(counts)} languages, {sum(counts.values())} questions"


FILE_KINDS = [
    FileKind("space-examples", check_space_examples, lambda: [package_dir("space_app") / "examples.yaml"]),
]
