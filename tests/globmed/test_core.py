from __future__ import annotations

import pytest

from globmed.errors import GlobMedError
from globmed.languages import (
    all_languages,
    get_language,
    high_resource_codes,
    known_language_codes,
    language_codes,
    low_resource_codes,
    parse_languages,
)
from globmed.registry import Registry
from globmed.schema import Record, TranslationInfo, features


def test_language_registry_has_the_twelve_languages():
    codes = [lang.code for lang in all_languages()]
    assert codes == ["en", "zh", "ja", "ko", "fr", "es", "de", "pt", "sw", "wo", "yo", "zu"]
    assert low_resource_codes() == ["sw", "wo", "yo", "zu"]
    assert len(high_resource_codes()) == 8


def test_parse_languages_orders_and_rejects_unknown():
    assert parse_languages("zu,en") == ["en", "zu"]
    assert parse_languages(None)[0] == "en"
    with pytest.raises(GlobMedError, match=r"unknown language code 'sx'.*Did you mean"):
        parse_languages("en,sx")


def test_opt_in_languages_are_known_but_not_default():
    """The seven extra folders of the published repos: accepted when named, never part of "all"."""
    opt_in = ["ar", "bn", "hi", "id", "ms", "ru", "th"]
    assert known_language_codes() == language_codes() + opt_in
    assert not set(opt_in) & {lang.code for lang in all_languages()}
    assert not set(opt_in) & set(high_resource_codes() + low_resource_codes())  # the gap figures keep to the 12
    assert parse_languages(None) == parse_languages("all") == language_codes()
    assert parse_languages("ar,en") == ["en", "ar"] and parse_languages(["th", "zu"]) == ["zu", "th"]
    arabic = get_language("ar")
    assert (arabic.name, arabic.script, arabic.lingua, arabic.opt_in) == ("Arabic", "Arab", "ARABIC", True)
    assert [get_language(c).lingua for c in opt_in] == ["ARABIC", "BENGALI", "HINDI", "INDONESIAN", "MALAY",
                                                        "RUSSIAN", "THAI"]
    from lingua import Language

    assert all(hasattr(Language, get_language(c).lingua) for c in opt_in)  # names the detector knows


def test_registry_lazy_import_and_close_matches():
    registry: Registry[object] = Registry("thing")
    registry.register("json-dumps", "json:dumps")
    import json

    assert registry.get("json-dumps") is json.dumps
    with pytest.raises(GlobMedError, match="Did you mean json-dumps"):
        registry.get("json-dump")


def test_record_round_trips_through_features():
    record = Record(
        id="medqa:1:sw", parallel_id="medqa:1", language="sw", task="mcqa", source="medqa", context="",
        question="Swali?", options=["a", "b"], answer_index=1, answer="b",
        translation=TranslationInfo(method="machine", model="m", qc_score=0.5, reviewed=False),
    )
    row = record.to_row()
    assert set(row) == set(features())
    encoded = features().encode_example(row)
    assert Record.from_row(encoded, split="test") == Record(**{**record.__dict__, "split": "test"})


def test_provenance_versions_and_manifest_hash(tmp_path):
    import hashlib

    import yaml

    from globmed.provenance import library_versions, manifest_sha256

    assert library_versions(["pyyaml", "no-such-library-xyz"]) == {"pyyaml": yaml.__version__}
    assert manifest_sha256(tmp_path) is None and manifest_sha256("org/hub-id") is None
    (tmp_path / "MANIFEST.json").write_bytes(b'{"files": {}}')
    assert manifest_sha256(tmp_path) == hashlib.sha256(b'{"files": {}}').hexdigest()


def test_one_yaml_loader_one_wording(tmp_path):
    from globmed.yaml_io import load_mapping

    bad = tmp_path / "x.yaml"
    bad.write_text("a: [1, 2\nb: 3\n")
    with pytest.raises(GlobMedError, match=r"x.yaml: roster: malformed YAML at line 2 column 2: "
                                           r"expected .,. or .\]., but got .:.$"):
        load_mapping(bad, "roster")
    bad.write_text("- 1\n- 2\n")
    with pytest.raises(GlobMedError, match=r"x.yaml: roster: expected a mapping, got list$"):
        load_mapping(bad, "roster")
    bad.write_text("modles: []\n")
    with pytest.raises(GlobMedError, match=r"x.yaml: roster: unknown key 'modles' \(did you mean 'models'\?\); "
                                           r"known: defaults, models$"):
        load_mapping(bad, "roster", ("models", "defaults"))
    bad.write_text("defaults: {}\n")
    with pytest.raises(GlobMedError, match=r"x.yaml: roster: missing required key 'models'$"):
        load_mapping(bad, "roster", ("models", "defaults"), required=("models",))
