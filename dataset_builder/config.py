"""Build options: one dataclass, defaults < `build:` block of the sources YAML < command-line flags."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from globmed.errors import GlobMedError
from globmed.yaml_io import check_keys


@dataclass
class BuildConfig:
    """Options of one build. Every field is part of the build's fingerprint (build_report.json "config")."""

    # --- selection
    languages: list[str] | None = field(default=None, metadata={
        "help": "language codes, e.g. en,sw; none: the 12 GlobMed languages (the opt-in ar,bn,hi,id,ms,ru,th only "
                "when named)"})
    # --- sources whose files the user provides (`local:` entries of the sources YAML)
    local: dict[str, str] = field(default_factory=dict, metadata={
        "help": "the files of `local:` sources by source id: '{mednli: ~/mednli-1.0.0.zip}' (a folder, or the "
                "archive itself)"})
    allow_missing: list[str] = field(default_factory=list, metadata={
        "help": "local: sources to build without when their files are not given, e.g. mednli (listed as missing "
                "in the build report and the card)"})
    # --- quality and leakage
    exact_dedup: bool = field(default=True, metadata={"help": "drop exact duplicates (normalised text) per language"})
    near_dedup: bool = field(default=True, metadata={"help": "MinHash/LSH near-duplicate removal per language"})
    decontaminate: bool = field(default=True, metadata={"help": "drop train/validation items near-duplicating test"})
    parallel_dedup: bool = field(default=True, metadata={
        "help": "a duplicate or leak found in one language removes that item in every language (stays parallel)"})
    near_threshold: float = field(default=0.8, metadata={"help": "estimated Jaccard above which two items are dups"})
    minhash_bins: int = field(default=64, metadata={"help": "one-permutation MinHash bins (signature length)"})
    lsh_rows: int = field(default=4, metadata={"help": "bins per LSH band (bands = bins / rows)"})
    shingle_bytes: int = field(default=8, metadata={"help": "byte n-gram size of the shingles (1..8)"})
    max_near_dup_bytes: int = field(default=4096, metadata={"help": "bytes of each item's text used for near-dup"})
    minhash_sample: int = field(default=4, metadata={"help": "hash 1 shingle in N (consistent sampling), power of 2"})
    seed: int = field(default=42, metadata={"help": "seed of hash splits and MinHash"})
    # --- splits
    split_ratios: dict[str, float] = field(
        default_factory=lambda: {"train": 0.8, "validation": 0.1, "test": 0.1},
        metadata={"help": "hash-split ratios for sources without an official split"},
    )
    # --- writer
    max_shard_rows: int = field(default=100_000, metadata={"help": "rows per parquet shard"})
    num_proc: int = field(default=1, metadata={"help": "processes reading source files"})

    def __post_init__(self) -> None:
        if not 0.0 < self.near_threshold <= 1.0:
            raise GlobMedError(f"build option near_threshold must be in (0, 1], got {self.near_threshold}")
        if self.minhash_bins % self.lsh_rows or self.minhash_bins & (self.minhash_bins - 1):
            raise GlobMedError("build option minhash_bins must be a power of two divisible by lsh_rows")
        if self.minhash_sample < 1 or self.minhash_sample & (self.minhash_sample - 1):
            raise GlobMedError(f"build option minhash_sample must be a power of two, got {self.minhash_sample}")
        if not 1 <= self.shingle_bytes <= 8:
            raise GlobMedError(f"build option shingle_bytes must be 1..8, got {self.shingle_bytes}")
        unknown = set(self.split_ratios) - {"train", "validation", "test"}
        if unknown or abs(sum(self.split_ratios.values()) - 1.0) > 1e-6:
            raise GlobMedError(f"split_ratios must use train/validation/test and sum to 1, got {self.split_ratios}")
        if not isinstance(self.local, dict):
            raise GlobMedError(f"build option local maps source ids to paths, e.g. {{mednli: ~/mednli.zip}}, got "
                               f"{self.local!r}")
        if isinstance(self.allow_missing, str):  # `allow_missing: mednli` in a YAML file
            self.allow_missing = [sid.strip() for sid in self.allow_missing.split(",") if sid.strip()]
        if self.max_shard_rows < 1 or self.num_proc < 1:
            raise GlobMedError("max_shard_rows and num_proc must be >= 1")

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None, where: str) -> BuildConfig:
        """Build from a YAML mapping; a key nothing consumes is an error naming it."""
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        check_keys(data, known, f"{where}: build")
        return cls(**data)

    def replace(self, **changes: Any) -> BuildConfig:
        data = asdict(self)
        data.update({k: v for k, v in changes.items() if v is not None})
        return BuildConfig(**data)

    def fingerprint(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("num_proc")  # does not change the output
        data.pop("local")  # where the files are on this machine: MANIFEST.json records what they hold
        return data
