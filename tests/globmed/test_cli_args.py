"""Flags generated from a dataclass: names, types, help from the field, file < flags, unknown keys named."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

import pytest

from globmed.cli_args import FlagSet, add_config_flag, file_and_flags
from globmed.errors import GlobMedError


@dataclass
class Options:
    near_threshold: float = field(default=0.8, metadata={"help": "Jaccard above which items are dups"})
    exact_dedup: bool = field(default=True, metadata={"help": "drop exact duplicates"})
    languages: list[str] | None = field(default=None, metadata={"help": "codes, e.g. en,sw"})
    split_ratios: dict[str, float] = field(default_factory=lambda: {"train": 0.9, "test": 0.1},
                                           metadata={"help": "ratios"})
    batch_size: int | str = field(default="auto", metadata={"help": "int or auto (95% of memory)"})
    scoring: str = field(default="auto", metadata={"help": "how", "choices": ("auto", "generate")})
    timeout_s: float = field(default=120.0, metadata={"help": "seconds", "flag": "--timeout"})
    limit: int | None = field(default=None, metadata={"help": "first N"})


@dataclass
class Judge:
    model: str = field(metadata={"help": "judge model"})
    max_new_tokens: int = field(default=256, metadata={"help": "reply length"})


def _parser() -> tuple[argparse.ArgumentParser, list[FlagSet]]:
    parser = argparse.ArgumentParser(prog="x", exit_on_error=False)
    sets = [FlagSet(Options, "options"), FlagSet(Judge, "judge", prefix="judge_")]
    for flag_set in sets:
        flag_set.add_to(parser)
    add_config_flag(parser, "options")
    return parser, sets


def test_flags_are_typed_from_the_fields_and_only_typed_ones_are_set():
    parser, (options, judge) = _parser()
    args = parser.parse_args(["--near-threshold", "0.9", "--no-exact-dedup", "--languages", "en, sw",
                              "--split-ratios", "{train: 0.5, test: 0.5}", "--batch-size", "16",
                              "--timeout", "9", "--judge-model", "j"])
    assert vars(args) == {"near_threshold": 0.9, "exact_dedup": False, "languages": ["en", "sw"],
                          "split_ratios": {"train": 0.5, "test": 0.5}, "batch_size": 16, "timeout_s": 9.0,
                          "judge_model": "j", "config": None}
    assert Options(**options.kwargs(vars(args))).limit is None  # not typed: the dataclass default
    assert Judge(**judge.kwargs(vars(args))) == Judge(model="j")
    assert parser.parse_args(["--batch-size", "auto"]).batch_size == "auto"
    with pytest.raises(argparse.ArgumentError, match="invalid choice"):
        parser.parse_args(["--scoring", "guess"])
    with pytest.raises(argparse.ArgumentError, match="expected a YAML mapping"):
        parser.parse_args(["--split-ratios", "train"])


def test_help_is_the_fields_help_with_the_default():
    parser, _ = _parser()
    text = " ".join(parser.format_help().split())
    assert "--near-threshold X Jaccard above which items are dups (default: 0.8)" in text
    assert "--exact-dedup, --no-exact-dedup drop exact duplicates (default: True)" in text
    assert "(95% of memory) (default: auto)" in text and "{train: 0.9, test: 0.1}" in text
    assert "--judge-max-new-tokens N reply length (default: 256)" in text and "--timeout X" in text


def test_config_file_then_flags_and_unknown_keys(tmp_path):
    parser, sets = _parser()
    path = tmp_path / "c.yaml"
    path.write_text("near_threshold: 0.7\nlimit: 5\njudge_model: from-file\n")
    values = file_and_flags(parser.parse_args(["--config", str(path), "--limit", "9"]), sets, "options config")
    assert values == {"near_threshold": 0.7, "limit": 9, "judge_model": "from-file"}
    path.write_text("near_treshold: 0.7\n")
    with pytest.raises(GlobMedError, match=r"c.yaml: options config: unknown key 'near_treshold' "
                                           r"\(did you mean 'near_threshold'\?\); known: "):
        file_and_flags(parser.parse_args(["--config", str(path)]), sets, "options config")


def test_a_field_without_a_command_line_form_fails_at_once():
    @dataclass
    class Odd:
        pair: tuple[int, int] = (1, 2)

    with pytest.raises(TypeError, match="field pair: no command-line form"):
        FlagSet(Odd, "odd").add_to(argparse.ArgumentParser())
