"""Checks that need no LLM, run on every translation round.

Each check is a small class (like the quality filters in dataset_builder/quality.py), listed once in `CHECKS`. It
looks at the English unit and its translation and returns issues (code, field, detail) that go back to
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
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any

import yaml

from dataset_builder.translate.glossary import missing_terms
from dataset_builder.translate.units import TEXT_FIELDS, unit_texts
from globmed.languages import Language, all_languages, get_language

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


@dataclass
class Pair:
    """One round as the checks see it: the English unit, its translation, and what they are judged against."""

    source: dict[str, Any]
    target: dict[str, Any]
    language: str
    answer_index: int
    required: dict[str, tuple[str, ...]] = field(default_factory=dict)  # glossary term -> accepted renderings

    @cached_property
    def src_fields(self) -> dict[str, str]:
        return dict(_fields(self.source))

    @cached_property
    def tgt_fields(self) -> dict[str, str]:
        return dict(_fields(self.target))

    @cached_property
    def lang(self) -> Language:
        return get_language(self.language)

    @cached_property
    def target_text(self) -> str:
        return "\n".join(unit_texts(self.target))


class Check:
    """One automatic check: `check` lists the issues it finds (none: pass); `run_checks` records the status.

    `name` is the key in the report's status, `code` the code of its issues. A check that cannot judge a pair says
    why in `skip_reason` (recorded as "skipped: why", not counted in the score); one that does not apply at all
    (`applies` false) leaves no status. `stops` ends the round on failure: the checks after it would only repeat it.
    """

    name = "check"
    code = ""  # the issues' code; the name when empty
    stops = False

    def applies(self, pair: Pair) -> bool:
        return True

    def skip_reason(self, pair: Pair) -> str | None:
        return None

    def check(self, pair: Pair) -> list[Issue]:
        raise NotImplementedError

    def issue(self, where: str, detail: str) -> Issue:
        return Issue(self.code or self.name, where, detail)


class Structure(Check):
    """Same fields, same option count, nothing left empty; the rest compares field by field, so it stops here."""

    name = "structure"
    stops = True

    def check(self, pair: Pair) -> list[Issue]:
        source, target = pair.source, pair.target
        issues = [self.issue(k, "field missing from the translation") for k in source if k not in target]
        issues += [self.issue(k, "unexpected field") for k in target if k not in source]
        if "options" in source:
            n_src, n_tgt = len(source["options"]), len(target.get("options") or [])
            if n_src != n_tgt:
                issues.append(self.issue("options", f"{n_tgt} options instead of {n_src}"))
        issues += [
            self.issue(k, "empty translation of a non-empty field")
            for k, v in pair.src_fields.items()
            if v.strip() and not pair.tgt_fields.get(k, "").strip()
        ]
        return issues


class AnswerAlignment(Check):
    """The answer still points at the same option, and no two options became one."""

    name = "answer_alignment"

    def check(self, pair: Pair) -> list[Issue]:
        source, target, index = pair.source, pair.target, pair.answer_index
        issues: list[Issue] = []
        if "options" in source and "answer" in source and 0 <= index < len(target["options"]):
            options = [_norm(o) for o in target["options"]]
            answer = _norm(target["answer"])
            if answer != options[index]:
                where = f"matches option {options.index(answer)}" if answer in options else "matches no option"
                issues.append(self.issue("answer", f"answer {where}, expected option {index}"))
            if len(set(options)) < len(options) and len({_norm(o) for o in source["options"]}) == len(options):
                issues.append(self.issue("options", "two options have the same translation"))
        return issues


class Numbers(Check):
    """Numbers and doses, field by field (canonical forms: `2,5` == `2.5`)."""

    name = "numbers"

    def check(self, pair: Pair) -> list[Issue]:
        issues = []
        for name, text in pair.src_fields.items():
            lost = numbers_in(text) - numbers_in(pair.tgt_fields[name])
            if lost:
                issues.append(self.issue(name, f"numbers missing: {', '.join(sorted(lost))}"))
        return issues


class Units(Check):
    """A unit next to a number in an English field is kept (any alias of checks.yaml) in the same field."""

    name = "units"

    def check(self, pair: Pair) -> list[Issue]:
        issues = []
        for name, text in pair.src_fields.items():
            if not _DIGIT.search(text):
                continue  # units are only checked next to numbers
            low_src, low_tgt = (
                unicodedata.normalize("NFKC", text).lower(),
                unicodedata.normalize("NFKC", pair.tgt_fields[name]).lower(),
            )
            for unit, src_re, alias_res in _unit_patterns():
                if src_re.search(low_src) and not any(a.search(low_tgt) for a in alias_res):
                    issues.append(self.issue(name, f"unit {unit} missing"))
        return issues


class LeftoverSource(Check):
    """Too many English words copied into a field (glossary renderings excepted); the guard where lingua cannot go."""

    name = "leftover_source"

    def check(self, pair: Pair) -> list[Issue]:
        if pair.language == "en":
            return []
        cfg = check_settings()["leftover"]
        allowed = {t.lower() for terms in pair.required.values() for t in terms}
        issues = []
        for name, text in pair.src_fields.items():
            src_words = {w.lower() for w in _WORD.findall(text) if len(w) >= cfg["min_word_length"]}
            out = pair.tgt_fields[name]
            out_words = [w.lower() for w in re.findall(r"[^\W\d_]+", out) if len(w) >= cfg["min_word_length"]]
            if len(out_words) < cfg["min_words"]:
                continue
            copied = [w for w in out_words if w in src_words and w not in allowed]
            if len(copied) / len(out_words) > cfg["max_copied_fraction"]:
                issues.append(self.issue(name, f"{len(copied)}/{len(out_words)} words left in English"))
        return issues


class LanguageId(Check):
    """lingua identifies the translated unit's language; skipped where lingua cannot, or the text is too short."""

    name = "language_id"
    code = "wrong_language"

    def skip_reason(self, pair: Pair) -> str | None:
        if pair.lang.lingua is None:
            return f"lingua cannot identify {pair.lang.name}"
        letters = len(_LETTERS.findall(pair.target_text))
        if letters < check_settings()["language_id"]["min_letters"]:
            return f"only {letters} letters"
        return None

    def check(self, pair: Pair) -> list[Issue]:
        text = pair.target_text[: check_settings()["language_id"]["max_chars"]]
        detected = _detector().detect_language_of(text)
        got = detected.name if detected is not None else None
        if got == pair.lang.lingua:
            return []
        return [self.issue("*", f"detected {got.title() if got else 'no language'}, expected {pair.lang.name}")]


class LengthRatio(Check):
    """Translated length over English length, within the bounds of the target script (checks.yaml)."""

    name = "length_ratio"

    def check(self, pair: Pair) -> list[Issue]:
        settings = check_settings()["length_ratio"]
        bounds = settings.get(pair.lang.script, settings["default"])
        src_len = sum(len(t) for t in unit_texts(pair.source))
        ratio = sum(len(t) for t in unit_texts(pair.target)) / max(src_len, 1)
        if bounds[0] <= ratio <= bounds[1]:
            return []
        return [self.issue("*", f"length ratio {ratio:.2f} outside [{bounds[0]}, {bounds[1]}]")]


class Terminology(Check):
    """Every glossary term of the item is rendered as required; no status when the item has no such term."""

    name = "terminology"

    def applies(self, pair: Pair) -> bool:
        return bool(pair.required)

    def check(self, pair: Pair) -> list[Issue]:
        required = pair.required
        return [
            self.issue("*", f"{term!r} must be rendered as {' or '.join(map(repr, required[term]))}")
            for term in missing_terms(required, unit_texts(pair.target))
        ]


# The checks of a round, in order (the order of the issues and of the status).
CHECKS: tuple[Check, ...] = (
    Structure(), AnswerAlignment(), Numbers(), Units(), LeftoverSource(), LanguageId(), LengthRatio(), Terminology(),
)


def run_checks(
    source: dict[str, Any],
    target: dict[str, Any],
    language: str,
    answer_index: int,
    required: dict[str, tuple[str, ...]] | None = None,
) -> CheckReport:
    """All automatic checks of one round. `source`/`target` are units (see units.py) with the same keys."""
    pair = Pair(source, target, language, answer_index, required or {})
    report = CheckReport()
    for check in CHECKS:
        if not check.applies(pair):
            continue
        reason = check.skip_reason(pair)
        if reason is not None:
            report.status[check.name] = f"skipped: {reason}"
            continue
        issues = check.check(pair)
        report.status[check.name] = "fail" if issues else "pass"
        report.issues.extend(issues)
        if issues and check.stops:
            break
    return report


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", str(text)).split()).casefold()


def chrf(hypothesis: str, reference: str) -> float:
    """chrF (sacrebleu) of a back-translation against the English original, in [0, 1]."""
    from sacrebleu.metrics import CHRF

    return round(CHRF().sentence_score(hypothesis, [reference]).score / 100.0, 4)
