"""chrF itself, without `evaluate`: the evaluate module beside it (chrf.py) computes through this function, and
the benchmark runner calls it directly (`benchmark.metrics.compute_metric`)."""

import numpy as np
from sacrebleu.metrics import CHRF


def compute(predictions, references, per_item=False):
    chrf = CHRF()
    scores = [chrf.sentence_score(p, [r]).score / 100.0 for p, r in zip(predictions, references, strict=False)]
    out = {"chrf": float(np.mean(scores)) if scores else 0.0}
    if per_item:
        out["scores"] = scores
    return out
