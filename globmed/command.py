"""Base class of a `globmed` subcommand.

A subcommand is a small class: `add_arguments` declares its flags, `run` does the work and returns an exit
status. Heavy libraries are imported inside `run`, so `--help` and bad-input errors stay instant.
"""

from __future__ import annotations

import argparse


class Command:
    name: str = ""
    help: str = ""
    examples: str = ""  # shown at the end of `globmed NAME --help`

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """Declare the subcommand's flags."""

    def run(self, args: argparse.Namespace) -> int:
        raise NotImplementedError
