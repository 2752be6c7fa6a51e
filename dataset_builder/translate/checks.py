"""Checks that need no LLM, run on every translation round.

Each check looks at the English unit and its translation and returns issues (code, field, detail) that go back to
the translator in the revise prompt and, if still there after the last round, become the row's flag reason.
Bounds and unit aliases live in checks.yaml. Language identification uses lingua; a language whose registry entry
has `lingua: null` (Wolof) cannot be identified, so that check is recorded as skipped for it and only the
leftover-English heuristic guards against an untranslated answer.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from dataset_builder.translate.glossary import missing_terms
from dataset_builder.translate.units import TEXT_FIELDS, unit_texts
from globmed.languages import all_languages, get_language

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Issue:
    code: str  # structure, answer_alignment, numbers, units, leftover_source, wrong_language, length_ratio, terminology
    field: str  # "question", "options[2]", "*" for the whole unit
    detail: str

    def __str__(self) -> str:
        return f"{self.code} ({self.field}): {self.detail}"

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class CheckReport:
    issues: list[Issue] = field(default_factory=list)
    status: dict[str, str] = field(default_factory=dict)  # check name -> "pass" | "fail" | "skipped: why"

    @property
    def passed(self) -> bool:
        return not self.issues

    def score(self) -> float:
        """Fraction of the checks that ran and passed."""
        ran = [s for s in self.status.values() if not s.startswith("skipped")]
        return round(sum(s == "pass" for s in ran) / len(ran), 4) if ran else 0.0


@lru_cache(maxsize=1)
def check_settings() -> dict[str, Any]:
    return yaml.safe_load(resources.files(__package__).joinpath("checks.yaml").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    names = [lang.lingua for lang in all_languages() if lang.lingua]
    return LanguageDetectorBuilder.from_languages(*(getattr(Language, n) for n in names)).build()


_NUMBER = re.compile(r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d.,])|\d+(?:[.,]\d+)*")


def _canon_number(token: str) -> str:
    token = re.sub(r"[ \u00a0\u202f]", "", token)
    parts = re.split(r"[.,]", token)
    if len(parts) == 1:
        return parts[0].lstrip("0") or "0"
    if all(len(p) == 3 for p in parts[1:]):  # 1,000 / 1.000 / 1,000,000: thousands separators
        return "".join(parts).lstrip("0") or "0"
    return (parts[0].lstrip("0") or "0") + "." + "".join(parts[1:])


def numbers_in(text: str) -> Counter[str]:
    """Numbers as canonical strings (NFKC digits; `2,5` == `2.5`; `1,000` == `1 000` == `1000`)."""
    return Counter(_canon_number(t) for t in _NUMBER.findall(unicodedata.normalize("NFKC", text)))


@lru_cache(maxsize=1)
def _unit_patterns() -> list[tuple[str, re.Pattern[str], list[re.Pattern[str]]]]:
    out = []
    for unit, aliases in check_settings()["units"].items():
        src = re.compile(r"\d\s*" + re.escape(unit.lower()) + r"(?![a-z])")
        alias_res = [re.compile(r"\d\s*" + re.escape(str(a).lower())) for a in aliases]
        out.append((unit, src, alias_res))
    return out


def _fields(unit: dict[str, Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name in TEXT_FIELDS:
        if name == "options":
            pairs.extend((f"options[{i}]", str(o)) for i, o in enumerate(unit.get("options") or []))
        elif name in unit:
            pairs.append((name, str(unit[name])))
    return pairs


_DIGIT = re.compile(r"\d")
_LETTERS = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")


def run_checks(
    source: dict[str, Any],
    target: dict[str, Any],
    language: str,
    answer_index: int,
    required: dict[str, tuple[str, ...]] | None = None,
) -> CheckReport:
    """All automatic checks of one round. `source`/`target` are units (see units.py) with the same keys."""
    report = CheckReport()
    settings = check_settings()

    def record(name: str, issues: list[Issue]) -> None:
        report.status[name] = "fail" if issues else "pass"
        report.issues.extend(issues)

    # structure: same fields, same option count, nothing left empty
    issues = [Issue("structure", k, "field missing from the translation") for k in source if k not in target]
    issues += [Issue("structure", k, "unexpected field") for k in target if k not in source]
    if "options" in source:
        n_src, n_tgt = len(source["options"]), len(target.get("options") or [])
        if n_src != n_tgt:
            issues.append(Issue("structure", "options", f"{n_tgt} options instead of {n_src}"))
    src_fields, tgt_fields = dict(_fields(source)), dict(_fields(target))
    issues += [
        Issue("structure", k, "empty translation of a non-empty field")
        for k, v in src_fields.items()
        if v.strip() and not tgt_fields.get(k, "").strip()
    ]
    record("structure", issues)
    if issues:  # the rest compares field by field and would only repeat this
        return report

    # the answer still points at the same option
    issues = []
    if "options" in source and "answer" in source and 0 <= answer_index < len(target["options"]):
        options = [_norm(o) for o in target["options"]]
        answer = _norm(target["answer"])
        if answer != options[answer_index]:
            where = f"matches option {options.index(answer)}" if answer in options else "matches no option"
            issues.append(Issue("answer_alignment", "answer", f"answer {where}, expected option {answer_index}"))
        if len(set(options)) < len(options) and len({_norm(o) for o in source["options"]}) == len(options):
            issues.append(Issue("answer_alignment", "options", "two options have the same translation"))
    record("answer_alignment", issues)

    # numbers and doses, field by field
    issues = []
    for name, text in src_fields.items():
        lost = numbers_in(text) - numbers_in(tgt_fields[name])
        if lost:
            issues.append(Issue("numbers", name, f"numbers missing: {', '.join(sorted(lost))}"))
    record("numbers", issues)

    # units next to numbers
    issues = []
    for name, text in src_fields.items():
        if not _DIGIT.search(text):
            continue  # units are only checked next to numbers
        low_src, low_tgt = (
            unicodedata.normalize("NFKC", text).lower(),
            unicodedata.normalize("NFKC", tgt_fields[name]).lower(),
        )
        for unit, src_re, alias_res in _unit_patterns():
            if src_re.search(low_src) and not any(a.search(low_tgt) for a in alias_res):
                issues.append(Issue("units", name, f"unit {unit} missing"))
    record("units", issues)

    # leftover English
    issues = []
    if language != "en":
        cfg = settings["leftover"]
        allowed = {t.lower() for terms in (required or {}).values() for t in terms}
        for name, text in src_fields.items():
            src_words = {w.lower() for w in _WORD.findall(text) if len(w) >= cfg["min_word_length"]}
            out = tgt_fields[name]
            out_words = [w.lower() for w in re.findall(r"[^\W\d_]+", out) if len(w) >= cfg["min_word_length"]]
            if len(out_words) < cfg["min_words"]:
                continue
            copied = [w for w in out_words if w in src_words and w not in allowed]
            if len(copied) / len(out_words) > cfg["max_copied_fraction"]:
                issues.append(Issue("leftover_source", name, f"{len(copied)}/{len(out_words)} words left in English"))
    record("leftover_source", issues)

    # language identification
    lang = get_language(language)
    text = "\n".join(unit_texts(target))
    letters = len(_LETTERS.findall(text))
    if lang.lingua is None:
        report.status["language_id"] = f"skipped: lingua cannot identify {lang.name}"
    elif letters < settings["language_id"]["min_letters"]:
        report.status["language_id"] = f"skipped: only {letters} letters"
    else:
        detected = _detector().detect_language_of(text[: settings["language_id"]["max_chars"]])
        got = detected.name if detected is not None else None
        record(
            "language_id",
            []
            if got == lang.lingua
            else [
                Issue("wrong_language", "*", f"detected {got.title() if got else 'no language'}, expected {lang.name}")
            ],
        )

    # length ratio
    bounds = settings["length_ratio"].get(lang.script, settings["length_ratio"]["default"])
    src_len = sum(len(t) for t in unit_texts(source))
    ratio = sum(len(t) for t in unit_texts(target)) / max(src_len, 1)
    record(
        "length_ratio",
        []
        if bounds[0] <= ratio <= bounds[1]
        else [Issue("length_ratio", "*", f"length ratio {ratio:.2f} outside [{bounds[0]}, {bounds[1]}]")],
    )

    # required terminology
    if required:
        missing = missing_terms(required, unit_texts(target))
        record(
            "terminology",
            [
                Issue("terminology", "*", f"{term!r} must be rendered as {' or '.join(map(repr, required[term]))}")
                for term in missing
            ],
        )
    return report


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", str(text)).split()).casefold()


def chrf(hypothesis: str, reference: str) -> float:
    """chrF (sacrebleu) of a back-translation against the English original, in [0, 1]."""
    from sacrebleu.metrics import CHRF

    return round(CHRF().sentence_score(hypothesis, [reference]).score / 100.0, 4)
