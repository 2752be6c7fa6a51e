"""ROUGE-L itself, without `evaluate`: the evaluate module beside it (rouge_l.py) computes through this
function, and the benchmark runner calls it directly (`benchmark.metrics.compute_metric`)."""

import re
import unicodedata

import numpy as np
from rouge_score import rouge_scorer, tokenizers

_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")


class MultilingualTokenizer(tokenizers.Tokenizer):
    """Tokens for rouge_score in every GlobMed language: CJK by character, other scripts by word."""

    def tokenize(self, text: str) -> list[str]:
        return _TOKEN.findall(unicodedata.normalize("NFKC", text).lower())


_SCORER = rouge_scorer.RougeScorer(["rougeL"], tokenizer=MultilingualTokenizer())


def rouge_l(prediction: str, reference: str) -> float:
    return float(_SCORER.score(reference, prediction)["rougeL"].fmeasure)  # rouge_score takes (target, prediction)


def compute(predictions, references, per_item=False):
    scores = [rouge_l(p, r) for p, r in zip(predictions, references, strict=False)]
    out = {"rougeL": float(np.mean(scores)) if scores else 0.0}
    if per_item:
        out["scores"] = scores
    return out
