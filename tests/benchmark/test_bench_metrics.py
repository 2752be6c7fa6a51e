"""The evaluate modules, loaded by path, against values computed by hand."""

from __future__ import annotations

import pytest

from benchmark.metrics import load_metric, metric_names


def test_metric_modules_exist():
    assert {"accuracy", "macro_f1", "rouge_l", "chrf"} <= set(metric_names())


def test_accuracy_counts_unparsed_as_wrong():
    out = load_metric("accuracy").compute(predictions=[0, 2, -1, 1], references=[0, 1, 1, 1], per_item=True)
    assert out["acc"] == pytest.approx(0.5)
    assert out["scores"] == [1.0, 0.0, 0.0, 1.0]


def test_macro_f1_by_hand():
    # label 0: tp1 fp1 fn0 -> 2/3; label 1: tp1 fp0 fn1 -> 2/3; label 2: tp0 fp0 fn1 -> 0; mean 4/9
    out = load_metric("macro_f1").compute(predictions=[0, 0, 1, -1], references=[0, 1, 1, 2])
    assert out["macro_f1"] == pytest.approx(4 / 9)


def test_rouge_l_by_hand_and_cjk():
    m = load_metric("rouge_l")
    # LCS("the cat sat", "the cat sat down") = 3; P = 1, R = 3/4 -> F = 6/7
    assert m.compute(predictions=["The cat sat"], references=["the cat sat down"])["rougeL"] == pytest.approx(6 / 7)
    # Chinese by character: LCS("发烧头痛", "发烧和头痛") = 4; P = 1, R = 4/5 -> 8/9
    assert m.compute(predictions=["发烧头痛"], references=["发烧和头痛"])["rougeL"] == pytest.approx(8 / 9)
    assert m.compute(predictions=[""], references=["x"])["rougeL"] == 0.0


def test_chrf_range_and_identity():
    m = load_metric("chrf")
    assert m.compute(predictions=["homa kali"], references=["homa kali"])["chrf"] == pytest.approx(1.0)
    out = m.compute(predictions=["homa", "zzz"], references=["homa kali", "homa kali"], per_item=True)
    assert 0.0 < out["scores"][0] < 1.0 and out["scores"][1] == 0.0
    assert out["chrf"] == pytest.approx(sum(out["scores"]) / 2)
