"""Is a text written in its language's script? A cheap check that catches rows filed under the wrong language
(a language column saying KR over a Japanese question), by the share of letters in each script.

The script of each language is the registry's ISO 15924 code (globmed/languages.yaml). Only the first
`SAMPLE` characters are looked at: a question's opening says which script it is in.
"""

from __future__ import annotations

import re
from functools import lru_cache

from globmed.languages import language_registry

SAMPLE = 400
MIN_LETTERS = 8  # shorter texts (a number, a formula, an abbreviation) say nothing about their language
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_KANA = "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f"
_HANGUL = "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f"
# letters of each script as a regex character class (Latin includes its accented and Vietnamese letters)
CLASSES = {
    "Latn": "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff",
    "Hans": _HAN, "Hant": _HAN, "Hani": _HAN,
    "Kana": _KANA,
    "Hang": _HANGUL,
    "Cyrl": "\u0400-\u04ff\u0500-\u052f",
    "Grek": "\u0370-\u03ff",
    "Arab": "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff",
    "Hebr": "\u0590-\u05ff",
    "Deva": "\u0900-\u097f",
    "Beng": "\u0980-\u09ff",
    "Thai": "\u0e00-\u0e7f",
    "Ethi": "\u1200-\u137f",
}
# what a language's own script accepts: Japanese is kana and kanji; Korean needs hangul (hanja alone is Chinese)
ACCEPTS = {"Jpan": ("Kana", "Hani"), "Kore": ("Hang",)}
_LETTERS = re.compile("[" + "".join(dict.fromkeys(CLASSES.values())) + "]")
_KANA_RE = re.compile(f"[{_KANA}]")
_HANGUL_RE = re.compile(f"[{_HANGUL}]")


@lru_cache(maxsize=64)
def _own(script: str) -> re.Pattern[str] | None:
    parts = [CLASSES[s] for s in ACCEPTS.get(script, (script,)) if s in CLASSES]
    return re.compile("[" + "".join(parts) + "]") if parts else None


@lru_cache(maxsize=64)
def script_of(language: str) -> str | None:
    registry = language_registry()
    return registry.get(language).script if language in registry else None


def script_mismatch(text: str, language: str) -> str | None:
    """Why `text` is not in `language`'s script, or None when it is (or when there is too little to tell).

    A Latin-script language needs half of the letters Latin. Another language needs at least one letter of its
    own script anywhere in the text: medical text in Chinese, Korean or Arabic often is mostly a Latin drug name
    ("Tobramycin是"), but a question with none at all is in another language (a Japanese exam's English
    questions, a Japanese question filed as Korean). Chinese text with kana or hangul in it is Japanese or Korean.
    """
    script = script_of(language)
    own = _own(script) if script else None
    if own is None:
        return None
    sample = text[:SAMPLE]
    if script == "Latn" and sample.isascii():
        return None  # the common case, decided at C speed
    letters = len(_LETTERS.findall(sample))
    if letters < MIN_LETTERS:
        return None
    if script != "Latn":
        if own.search(text) is None:
            return f"no letter of the question is in the {script} script of {language!r}"
    elif len(own.findall(sample)) < letters / 2:
        return f"under half of the question's letters are in the Latin script of {language!r}"
    if script in ("Hans", "Hant") and len(_KANA_RE.findall(sample)) + len(_HANGUL_RE.findall(sample)) >= 3:
        return f"the question has kana or hangul: not {language!r} ({script})"
    return None
