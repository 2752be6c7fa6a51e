"""Command-line flags generated from the config dataclasses, so an option's help is written once: in its field.

    flags = FlagSet(BuildConfig, "build options")
    flags.add_to(parser)                       # --near-threshold X, --exact-dedup/--no-exact-dedup, ...
    add_config_flag(parser, "build options")   # --config FILE
    args = parser.parse_args(argv)
    values = file_and_flags(args, [flags], "build config")   # the file, then the flags typed
    config = BuildConfig(**flags.kwargs(values))              # the dataclass defaults fill the rest

A field becomes `--field-name` (`prefix` names a nested concern: JudgeConfig's `model` is `--judge-model`;
metadata "flag" renames one, e.g. `timeout_s` is `--timeout`), typed from its annotation, with its metadata
"help", its default shown, and metadata "choices" as argparse choices. A flag defaults to `argparse.SUPPRESS`,
so the namespace holds only what was typed: that is what lets a flag win over the `--config` file and the file
win over the defaults. A key of the file is a flag's dest (`judge_model`, `timeout_s`); any other key is an
error naming the closest one (globmed.yaml_io).

Why not transformers.HfArgumentParser: it needs `import transformers` (seconds) before `--help` can print,
while the kit keeps `--help` and user errors instant, and it cannot express `dict` fields (`split_ratios`) or
`int | str` (`batch_size: auto`). Annotations understood: str, int, float, bool (`--x/--no-x`), `X | None`,
`int | str` (a whole number, else the text), `list[str]` (comma-separated: `en,sw`) and `dict` (a YAML flow
mapping: `'{train: 0.9, test: 0.1}'`). A field whose type is a dataclass is a nested concern with its own FlagSet.
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from globmed.yaml_io import load_mapping


@dataclasses.dataclass(frozen=True)
class FlagSet:
    """The flags of one config dataclass, shown under `title`.

    `skip` names fields whose flag another FlagSet of the same parser owns (with the same dest, so one
    `--seed` fills both); `defaults` are this command's own defaults where they differ from the dataclass's.
    """

    cls: type
    title: str
    prefix: str = ""
    skip: Collection[str] = ()
    defaults: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def fields(self) -> list[dataclasses.Field]:
        """The fields set from flags or the file: every init field that is not itself a dataclass."""
        hints = typing.get_type_hints(self.cls)
        return [f for f in dataclasses.fields(self.cls) if f.init and not _is_nested(hints[f.name])]

    def dests(self) -> list[str]:
        return [self.prefix + f.name for f in self.fields() if f.name not in self.skip]

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        group = parser.add_argument_group(self.title)
        hints = typing.get_type_hints(self.cls)
        for f in self.fields():
            if f.name not in self.skip:
                default = self.defaults[f.name] if f.name in self.defaults else _default(f)
                _add_flag(group, f, hints[f.name], self.prefix, default)

    def kwargs(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Keyword arguments for `cls`: this command's defaults, then what `values` (keyed by dest) holds."""
        found = {f.name: values[self.prefix + f.name] for f in self.fields() if self.prefix + f.name in values}
        return {**self.defaults, **found}


def add_config_flag(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--config", type=Path, metavar="FILE",
        help=f"YAML mapping of {what}, keyed by flag name with _ for - (max_new_tokens: 64); flags given win over it",
    )


def add_overwrite_flag(parser: argparse.ArgumentParser | Any) -> None:
    """`--overwrite`, the one way past globmed.outputs' refusal to write into a folder another command wrote."""
    parser.add_argument(
        "--overwrite", action="store_true",
        help="write the output even where --out holds files this command did not write (a folder the command "
             "replaces as a whole is then replaced)",
    )


def file_and_flags(args: argparse.Namespace, flag_sets: Sequence[FlagSet], kind: str) -> dict[str, Any]:
    """The `--config` file's values, then the flags typed, keyed by dest; a key no flag has is an error."""
    dests = [dest for flag_set in flag_sets for dest in flag_set.dests()]
    values = load_mapping(args.config, kind, dests, empty_ok=True) if args.config else {}
    values.update({dest: getattr(args, dest) for dest in dests if hasattr(args, dest)})
    return values


def _add_flag(group: Any, f: dataclasses.Field, annotation: Any, prefix: str, default: Any) -> None:
    name = f.metadata.get("flag", "--" + f.name.replace("_", "-"))
    flag = "--" + prefix.replace("_", "-") + name[2:]
    shown = _show(default)
    help_text = f.metadata.get("help", "") + (f" (default: {shown})" if shown else "")
    options: dict[str, Any] = {"dest": prefix + f.name, "default": argparse.SUPPRESS,
                               "help": help_text.replace("%", "%%")}
    if annotation is bool:
        group.add_argument(flag, action=argparse.BooleanOptionalAction, **options)
        return
    convert, metavar = _converter(annotation, f.name)
    if "choices" in f.metadata:
        options["choices"] = tuple(f.metadata["choices"])
    elif metavar:
        options["metavar"] = metavar
    group.add_argument(flag, type=convert, **options)


def _converter(annotation: Any, name: str) -> tuple[Callable[[str], Any], str | None]:
    """How a flag's text becomes the field's value, and the placeholder shown in the help."""
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin in (typing.Union, types.UnionType):
        if set(args) == {int, str}:
            return _int_or_text, "N|TEXT"
        if len(args) == 1:
            return _converter(args[0], name)
    if origin is list:
        return _comma_list, "A,B"
    if annotation is dict or origin is dict:
        return _yaml_mapping, "YAML"
    if annotation in (int, float):
        return annotation, "N" if annotation is int else "X"
    if annotation in (str, Path):
        return annotation, None
    raise TypeError(f"field {name}: no command-line form for {annotation!r}")


def _is_nested(annotation: Any) -> bool:
    return any(dataclasses.is_dataclass(a) for a in (annotation, *typing.get_args(annotation)))


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None


def _show(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    if isinstance(value, dict):
        return yaml.safe_dump(value, default_flow_style=True, sort_keys=False).strip() if value else ""
    return "" if value is None or value == "" else str(value)


def _int_or_text(text: str) -> int | str:
    return int(text) if text.lstrip("-").isdigit() else text


def _comma_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _yaml_mapping(text: str) -> dict[str, Any]:
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        value = None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a YAML mapping such as '{{a: 1, b: 2}}', got {text!r}")
    return value
