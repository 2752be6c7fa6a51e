"""Slow, obvious macro-F1 used as the reference for the vectorised bootstrap."""

from __future__ import annotations


def macro_f1_reference(predictions, references) -> float:
    labels = sorted(set(references.tolist()) | {p for p in predictions.tolist() if p >= 0})
    f1s = []
    for label in labels:
        tp = sum(1 for p, g in zip(predictions, references, strict=False) if p == label and g == label)
        fp = sum(1 for p, g in zip(predictions, references, strict=False) if p == label and g != label)
        fn = sum(1 for p, g in zip(predictions, references, strict=False) if p != label and g == label)
        if 2 * tp + fp + fn:
            f1s.append(2 * tp / (2 * tp + fp + fn))
    return sum(f1s) / len(f1s) if f1s else 0.0
