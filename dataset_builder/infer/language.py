"""The language of a file or a column, for `sources infer`.

Text is identified with lingua, the detector the translation checks use, but over all the languages lingua
knows (not only the registry's), so Russian text is named `ru` and never forced onto a registry language.
Codes in data (file names, language columns) are read through words.yaml: aliases first (JP -> ja, KR -> ko,
not Kanuri), then ISO 639 codes, then English language names ("Japanese").
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from typing import Any

from dataset_builder.infer.common import Guess, words
from globmed.languages import known_language_codes, known_languages

_SAMPLE = 40  # texts voted on per file
_MIN_LETTERS = 12
_LETTERS = re.compile(r"\w", re.UNICODE)


@lru_cache(maxsize=1)
def _detector():
    """All of lingua's languages, low-accuracy mode: ~1 s to build, where high accuracy loads 1 GB of models."""
    from lingua import LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()


def language_order(codes: set[str]) -> list[str]:
    """Registry languages in registry order (opt-in ones after the default ones), then the others by code."""
    order = {c: i for i, c in enumerate(known_language_codes())}
    return sorted(codes, key=lambda c: (order.get(c, len(order)), c))


def registry_codes() -> set[str]:
    """Every language of globmed/languages.yaml, the opt-in ones included."""
    return {lang.code for lang in known_languages()}


def registry_note(code: str) -> str:
    """What the build does with rows of a language that is not one of the default languages ("" if it is one)."""
    if code not in registry_codes():
        return "not in globmed/languages.yaml: its rows are rejected as language_not_in_registry"
    if next(lang for lang in known_languages() if lang.code == code).opt_in:
        return f"opt-in in globmed/languages.yaml: built only with --languages naming {code}"
    return ""


def detect_language(texts: list[str]) -> Guess | None:
    """The language most of `texts` are in (a vote over up to 40 of them), with the vote as evidence."""
    usable = [t for t in texts if isinstance(t, str) and len(_LETTERS.findall(t)) >= _MIN_LETTERS]
    if not usable:
        return None
    step = max(1, len(usable) // _SAMPLE)
    picked = usable[::step][:_SAMPLE]
    votes: Counter[str] = Counter()
    names: dict[str, str] = {}
    detector = _detector()
    for text in picked:
        found = detector.detect_language_of(text[:400])
        if found is not None:
            code = found.iso_code_639_1.name.lower()
            votes[code] += 1
            names[code] = found.name.title()
    if not votes:
        return None
    code, n = votes.most_common(1)[0]
    why = f"lingua: {n}/{len(picked)} texts {names[code]}"
    note = registry_note(code)
    return Guess(code, f"{why} ({note})" if note else why)


@lru_cache(maxsize=1)
def _name_codes() -> dict[str, str]:
    """Language names -> codes: the registry's English and native names, words.yaml's other names (endonyms,
    spellings without accents), then lingua's English names (RUSSIAN -> ru)."""
    from lingua import Language

    names = {}
    for lang in known_languages():
        names[lang.name.casefold()] = lang.code
        names.setdefault(lang.native.casefold(), lang.code)
    for name, code in words()["language_names"].items():
        names.setdefault(str(name).casefold(), code)
    for lang in Language.all():
        names.setdefault(lang.name.casefold(), lang.iso_code_639_1.name.lower())
    return names


def name_code(token: str) -> str | None:
    """The code of a language name in a file name (Japanese, RUSSIAN, français, 日本語), else None."""
    return _name_codes().get(token.strip().casefold())


@lru_cache(maxsize=1)
def iso_codes() -> frozenset[str]:
    return frozenset(words()["iso_codes"].split())


def code_of(value: Any) -> str | None:
    """Our code for a language value seen in data (JP, ko, pt-BR, zh_CN, Japanese), or None if it is not one."""
    if not isinstance(value, str) or not value.strip():
        return None
    folded = value.strip().casefold()
    aliases = words()["language_aliases"]
    for candidate in (folded, re.split(r"[-_]", folded)[0]):
        if candidate in aliases:
            return aliases[candidate]
        if candidate in iso_codes():
            return candidate
    return _name_codes().get(folded)


def is_code_token(token: str) -> bool:
    """A file-name token that reads as a language code (en, ZH, jp, nso), not a language name or a word."""
    folded = token.casefold()
    return 2 <= len(folded) <= 3 and folded.isalpha() and (folded in iso_codes() or folded in words()[
        "language_aliases"])


def language_column(values: list[Any]) -> tuple[dict[str, str], Counter[str]] | None:
    """For the values of a language column: {value: code} of every distinct value and the counts, or None
    when under 90% of them read as languages."""
    counts = Counter(str(v).strip() for v in values if isinstance(v, str) and v.strip())
    if not counts or len(counts) > 60:
        return None
    codes = {value: code_of(value) for value in counts}
    known = sum(n for value, n in counts.items() if codes[value])
    if known < 0.9 * sum(counts.values()):
        return None
    return {v: c for v, c in codes.items() if c}, counts
