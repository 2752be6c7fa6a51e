"""The accuracy itself, without `evaluate`: the evaluate module beside it (accuracy.py) computes through this
function, and the benchmark runner calls it directly (`benchmark.metrics.compute_metric`)."""

import numpy as np


def compute(predictions, references, per_item=False):
    scores = (np.asarray(predictions) == np.asarray(references)).astype(float)
    out = {"acc": float(scores.mean()) if len(scores) else 0.0}
    if per_item:
        out["scores"] = scores.tolist()
    return out
