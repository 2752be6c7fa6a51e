"""The per-item loop: translate, check, review, revise (up to K rounds), then accept or flag.

Round 1 translates the English unit with the glossary terms it contains; each later round sends the previous reply
and the list of problems back for revision. A round's problems are the automatic checks' issues, and, when those
pass, the reviewer model's issues (the reviewer is only paid for once the cheap checks pass). An item with no
problems is accepted; after K rounds it is flagged with its remaining problems as the reason. A backend failure
(retries exhausted) flags the item too, but that outcome is not cached, so the next run tries again; its issue
code is `unreachable` when the endpoint never answered, else `backend`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, fields
from typing import Any

from dataset_builder.translate.checks import Issue, chrf, run_checks
from dataset_builder.translate.config import TranslateConfig
from dataset_builder.translate.glossary import Glossary
from dataset_builder.translate.prompts import PromptSet
from dataset_builder.translate.units import SourceItem, UnitParseError, parse_json_object, parse_unit, unit_texts
from globmed.languages import get_language
from globmed.llm_chat import ChatClient, EndpointUnreachable, ModelCallError

logger = logging.getLogger(__name__)

ACCEPTED, FLAGGED = "accepted", "flagged"
UNREACHABLE = "unreachable"  # issue code of an item whose requests got no HTTP answer


@dataclass
class Outcome:
    """What became of one item in one language; cached as JSON and turned into an output row."""

    verdict: str  # accepted | flagged
    rounds: int
    unit: dict[str, Any] | None  # the final (or last parseable) translation
    reason: str = ""  # why it was flagged
    issues: list[dict[str, str]] = field(default_factory=list)  # remaining problems (flagged) or last round's
    checks: dict[str, str] = field(default_factory=dict)
    qc_score: float = -1.0
    review_score: float | None = None
    chrf: float | None = None
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cacheable: bool = True  # False when the backend failed: retried on the next run

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "cacheable"}  # no deep copy

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Outcome:
        return cls(**data)


@dataclass
class Translator:
    """Runs the loop for one (item, language); stateless across items, so many run concurrently."""

    config: TranslateConfig
    backend: ChatClient
    prompts: PromptSet
    glossary: Glossary | None = None

    async def translate(self, item: SourceItem, language: str) -> Outcome:
        lang = get_language(language)
        required = self.glossary.required_terms(unit_texts(item.unit), language) if self.glossary else {}
        context = {
            "language": lang.name,
            "native": lang.native,
            "code": lang.code,
            "terms": required,
            "unit_json": json.dumps(item.unit, ensure_ascii=False, indent=1),
        }
        outcome = Outcome(verdict=FLAGGED, rounds=0, unit=None)
        issues: list[Issue] = []
        previous = ""
        pipeline = self.config.pipeline
        try:
            for round_no in range(1, pipeline.rounds + 1):
                outcome.rounds = round_no
                if round_no == 1:
                    messages = self.prompts.messages("translate", **context)
                else:
                    messages = self.prompts.messages(
                        "revise", previous=previous, issues=[str(i) for i in issues], **context
                    )
                reply = await self._chat(messages, outcome)
                previous = reply.strip() or "(empty reply)"
                try:
                    unit = parse_unit(reply, item.unit)
                except UnitParseError as err:
                    issues = [Issue("malformed_json", "*", str(err))]
                    continue
                outcome.unit = unit
                report = run_checks(item.unit, unit, language, item.answer_index, required)
                outcome.checks = report.status
                outcome.qc_score = report.score()
                issues = list(report.issues)
                if not issues and pipeline.review:
                    issues = await self._review(context, unit, outcome)
                if not issues and pipeline.backtranslate:
                    issues = await self._backtranslate(context, item, unit, outcome)
                if not issues:
                    outcome.verdict = ACCEPTED
                    outcome.issues = []
                    return outcome
        except ModelCallError as err:
            outcome.reason = f"backend: {err}"
            code = UNREACHABLE if isinstance(err, EndpointUnreachable) else "backend"
            outcome.issues = [Issue(code, "*", str(err)).to_dict()]
            outcome.cacheable = False
            return outcome
        outcome.issues = [i.to_dict() for i in issues]
        outcome.reason = "; ".join(str(i) for i in issues[:4]) + (
            f" (+{len(issues) - 4} more)" if len(issues) > 4 else ""
        )
        return outcome

    async def _chat(self, messages: list[dict[str, str]], outcome: Outcome, model: str | None = None) -> str:
        result = await self.backend.chat(messages, model, self.config.backend.chat_settings())
        outcome.requests += 1
        outcome.prompt_tokens += result.prompt_tokens
        outcome.completion_tokens += result.completion_tokens
        return result.text

    async def _review(self, context: dict[str, Any], unit: dict[str, Any], outcome: Outcome) -> list[Issue]:
        translation_json = json.dumps(unit, ensure_ascii=False, indent=1)
        messages = self.prompts.messages("review", translation_json=translation_json, **context)
        reply = await self._chat(messages, outcome, model=self.config.backend.reviewer_model or None)
        try:
            review = parse_json_object(reply)
            verdict = str(review.get("verdict", "")).strip().lower()
            if verdict not in {"accept", "revise"}:
                raise UnitParseError(f"verdict {review.get('verdict')!r} is neither accept nor revise")
        except UnitParseError as err:
            outcome.checks["review"] = "fail"
            return [Issue("review_unparseable", "*", str(err))]
        score = review.get("score")
        outcome.review_score = float(score) if isinstance(score, (int, float)) else None
        raw_issues = review.get("issues") if isinstance(review.get("issues"), list) else []
        outcome.checks["review"] = "pass" if verdict == "accept" else "fail"
        if verdict == "accept":
            return []
        found = [
            Issue("reviewer", str(i.get("field", "*")), str(i.get("problem", i.get("detail", ""))))
            if isinstance(i, dict)
            else Issue("reviewer", "*", str(i))
            for i in raw_issues
        ]
        return found or [Issue("reviewer", "*", "reviewer asked for a revision without listing issues")]

    async def _backtranslate(
        self, context: dict[str, Any], item: SourceItem, unit: dict[str, Any], outcome: Outcome
    ) -> list[Issue]:
        translation_json = json.dumps(unit, ensure_ascii=False, indent=1)
        reply = await self._chat(
            self.prompts.messages("backtranslate", translation_json=translation_json, **context), outcome
        )
        try:
            back = parse_unit(reply, item.unit)
        except UnitParseError as err:
            outcome.checks["backtranslation"] = f"skipped: {err}"
            return []
        outcome.chrf = chrf("\n".join(unit_texts(back)), "\n".join(unit_texts(item.unit)))
        outcome.qc_score = outcome.chrf
        if outcome.chrf < self.config.pipeline.min_chrf:
            outcome.checks["backtranslation"] = "fail"
            return [Issue("backtranslation", "*", f"chrF {outcome.chrf:.2f} below {self.config.pipeline.min_chrf}")]
        outcome.checks["backtranslation"] = "pass"
        return []
