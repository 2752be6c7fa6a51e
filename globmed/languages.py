"""The language registry (globmed/languages.yaml) as typed objects.

Every part asks this module which languages exist, which are low-resource and how to parse a
`--languages en,sw` flag, so adding a language is a one-line YAML change.

Two sets: the GlobMed languages (`language_codes()`, the default twelve that the benchmark, prompts, training
mixture and Space enumerate) and the known languages (`known_language_codes()`, those plus the `opt_in: true`
entries). An opt-in language is built only when named (`--languages ar,en`); it is never part of "all", so
adding one cannot silently change what every other part iterates over.
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
    opt_in: bool = False  # outside the default set: built only when --languages names it

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


def known_languages() -> list[Language]:
    """Every registry entry, the opt-in ones included, in file order."""
    registry = language_registry()
    return [registry.get(code) for code in registry]


def all_languages() -> list[Language]:
    """The GlobMed languages (the default set): opt-in entries are left out."""
    return [lang for lang in known_languages() if not lang.opt_in]


def language_codes() -> list[str]:
    """Codes of the GlobMed languages, the default of every `--languages`."""
    return [lang.code for lang in all_languages()]


def known_language_codes() -> list[str]:
    """Codes the builder accepts as "in the registry": the default set plus the opt-in languages."""
    return language_registry().names()


def get_language(code: str) -> Language:
    return language_registry().get(code)


def high_resource_codes() -> list[str]:
    return [lang.code for lang in all_languages() if not lang.low_resource]


def low_resource_codes() -> list[str]:
    return [lang.code for lang in all_languages() if lang.low_resource]


def parse_languages(value: str | list[str] | None) -> list[str]:
    """Parse `en,sw` (or a list) into registry order; None or "all" means the GlobMed (default) languages.

    Opt-in codes are accepted when named (`ar,en`); an unknown code raises a one-line error with close matches.
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
