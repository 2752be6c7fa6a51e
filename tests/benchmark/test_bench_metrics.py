"""The evaluate modules, loaded by path, against values computed by hand."""

from __future__ import annotations

import pytest

from benchmark.metrics import compute_metric, load_metric, metric_names


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


@pytest.mark.parametrize(
    ("prediction", "reference", "expected"),
    [
        # rest and drink fluids / drink plenty of fluids and rest: LCS "drink fluids" = 2; P = 2/4, R = 2/6 -> 2/5
        ("Rest and drink fluids", "drink plenty of fluids and rest", 2 / 5),
        # 多喝水注意休息 / 注意休息并多喝水 (the comma is no token): LCS 注意休息 = 4; P = 4/7, R = 4/8 -> 8/15
        ("多喝水，注意休息", "注意休息并多喝水", 8 / 15),
        # 熱があります / 高い熱が続きます, kana and kanji by character: LCS 熱がます = 4; P = 4/6, R = 4/8 -> 4/7
        ("熱があります", "高い熱が続きます", 4 / 7),
        # kunywa maji mengi na upumzike / pumzika na kunywa maji mengi: LCS "kunywa maji mengi" = 3 of 5 -> 3/5
        ("Kunywa maji mengi na upumzike", "Pumzika na kunywa maji mengi", 3 / 5),
        ("homa", "kali", 0.0),
    ],
)
def test_rouge_l_is_rouge_score_with_the_multilingual_tokenizer(prediction, reference, expected):
    from rouge_score.rouge_scorer import RougeScorer

    from benchmark.metrics.rouge_l import score

    m = load_metric("rouge_l")
    assert isinstance(score._SCORER, RougeScorer)  # the library's LCS, not ours
    out = m.compute(predictions=[prediction], references=[reference], per_item=True)
    assert out["scores"] == [pytest.approx(expected)] and out["rougeL"] == pytest.approx(expected)


def test_chrf_range_and_identity():
    m = load_metric("chrf")
    assert m.compute(predictions=["homa kali"], references=["homa kali"])["chrf"] == pytest.approx(1.0)
    out = m.compute(predictions=["homa", "zzz"], references=["homa kali", "homa kali"], per_item=True)
    assert 0.0 < out["scores"][0] < 1.0 and out["scores"][1] == 0.0
    assert out["chrf"] == pytest.approx(sum(out["scores"]) / 2)


@pytest.mark.parametrize(
    ("name", "predictions", "references", "kwargs"),
    [
        ("accuracy", [0, 2, -1, 1, 3], [0, 1, 1, 1, 3], {"per_item": True}),
        ("macro_f1", [0, 0, 1, -1, 2, 2], [0, 1, 1, 2, 2, 0], {}),
        ("rouge_l", ["The cat sat", "多喝水，注意休息", "", "homa"],
         ["the cat sat down", "注意休息并多喝水", "x", "kali"], {"per_item": True}),
        ("chrf", ["homa kali", "zzz", "Pumzika"], ["homa kali", "homa kali", "pumzika na kunywa"], {"per_item": True}),
    ],
)
def test_the_runners_path_gives_what_the_evaluate_module_gives(name, predictions, references, kwargs):
    """The runner scores without importing `evaluate`; the evaluate module over the same inputs agrees exactly."""
    assert compute_metric(name, predictions, references, **kwargs) == load_metric(name).compute(
        predictions=predictions, references=references, **kwargs
    )


def test_the_runners_path_imports_no_evaluate():
    import subprocess
    import sys

    code = ("import sys; from benchmark.metrics import compute_metric; "
            "[compute_metric(n, p, p) for n, p in (('accuracy', [0]), ('macro_f1', [1]), ('rouge_l', ['a']), "
            "('chrf', ['a']))]; print(sorted(m for m in ('evaluate', 'datasets', 'transformers') if m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"
