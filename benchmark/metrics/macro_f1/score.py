"""The macro-F1 itself, without `evaluate`: the evaluate module beside it (macro_f1.py) computes through this
function, and the benchmark runner calls it directly (`benchmark.metrics.compute_metric`)."""

import numpy as np


def macro_f1(predictions, references) -> float:
    pred = np.asarray(predictions)
    gold = np.asarray(references)
    labels = sorted(set(gold.tolist()) | {p for p in pred.tolist() if p >= 0})
    f1s = []
    for label in labels:
        tp = np.sum((pred == label) & (gold == label))
        fp = np.sum((pred == label) & (gold != label))
        fn = np.sum((pred != label) & (gold == label))
        denominator = 2 * tp + fp + fn
        f1s.append(2 * tp / denominator if denominator else 0.0)
    return float(np.mean(f1s)) if f1s else 0.0


def compute(predictions, references):
    return {"macro_f1": macro_f1(predictions, references)}
