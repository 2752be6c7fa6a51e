"""The language registry (globmed/languages.yaml) as typed objects.

Every part asks this module which languages exist, which are low-resource and how to parse a
`--languages en,sw` flag, so adding a language is a one-line YAML change.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from globmed.errors import GlobMedError
from globmed.registry import Registry


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639-1
    name: str  # English name
    native: str  # endonym
    script: str  # ISO 15924
    resource: str  # "high" or "low"
    lingua: str | None = None  # lingua-language-detector name, None if it cannot identify it

    @property
    def low_resource(self) -> bool:
        return self.resource == "low"


@lru_cache(maxsize=1)
def language_registry() -> Registry[Language]:
    text = resources.files("globmed").joinpath("languages.yaml").read_text(encoding="utf-8")
    registry: Registry[Language] = Registry("language code")
    for entry in yaml.safe_load(text):
        lang = Language(**entry)
        if lang.resource not in {"high", "low"}:
            raise ValueError(f"languages.yaml: {lang.code}: resource must be high or low, got {lang.resource!r}")
        registry.register(lang.code, lang)
    return registry


def all_languages() -> list[Language]:
    registry = language_registry()
    return [registry.get(code) for code in registry]


def language_codes() -> list[str]:
    return language_registry().names()


def get_language(code: str) -> Language:
    return language_registry().get(code)


def high_resource_codes() -> list[str]:
    return [lang.code for lang in all_languages() if not lang.low_resource]


def low_resource_codes() -> list[str]:
    return [lang.code for lang in all_languages() if lang.low_resource]


def parse_languages(value: str | list[str] | None) -> list[str]:
    """Parse `en,sw` (or a list) into registry order; None or "all" means every language.

    An unknown code raises a one-line error with close matches.
    """
    if value is None or value == "all" or value == ["all"]:
        return language_codes()
    codes = [c.strip() for c in (value.split(",") if isinstance(value, str) else value) if c.strip()]
    if not codes:
        raise GlobMedError("--languages is empty; give codes such as en,sw or 'all'")
    registry = language_registry()
    for code in codes:
        registry.get(code)  # raises with suggestions
    return [code for code in registry if code in codes]
