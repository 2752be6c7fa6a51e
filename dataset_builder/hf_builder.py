"""`GlobMed`, a `datasets.GeneratorBasedBuilder`: the role a loading script used to play, usable directly.

    builder = GlobMed(config_name="sw", data_dir="release/globmed")   # a folder written by `globmed build`
    builder.download_and_prepare(); ds = builder.as_dataset()

Without `data_dir` it builds the bundled sample (offline) into its cache first. Configs: `all` (default), one per
language (`sw`; opt-in languages such as `ar` too), per task (`mcqa`) and per language-task (`sw-mcqa`).
datasets >= 4 does not run scripts from the Hub, so what is published is the parquet folder; this class is for
local, programmatic use.
"""

from __future__ import annotations

from pathlib import Path

import datasets
import pyarrow.parquet as pq

from globmed.languages import known_language_codes
from globmed.schema import SPLITS, TASKS, features

_DESCRIPTION = ("GlobMed: a multilingual medical dataset (12 languages, 7 more opt-in; mcqa, nli, lfqa), "
                "parallel across languages.")
_HOMEPAGE = "https://huggingface.co/datasets/globmed"


class GlobMedConfig(datasets.BuilderConfig):
    """A language, a task, both, or neither (`all`)."""

    def __init__(self, language: str | None = None, task: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.language = language
        self.task = task


def _configs() -> list[GlobMedConfig]:
    version = datasets.Version("1.0.0")
    configs = [GlobMedConfig(name="all", version=version, description="every language and task")]
    configs += [GlobMedConfig(name=lg, language=lg, version=version, description=f"language {lg}")
                for lg in known_language_codes()]
    configs += [GlobMedConfig(name=tk, task=tk, version=version, description=f"task {tk}") for tk in TASKS]
    configs += [GlobMedConfig(name=f"{lg}-{tk}", language=lg, task=tk, version=version,
                              description=f"language {lg}, task {tk}") for lg in known_language_codes() for tk in TASKS]
    return configs


class GlobMed(datasets.GeneratorBasedBuilder):
    BUILDER_CONFIG_CLASS = GlobMedConfig
    BUILDER_CONFIGS = _configs()
    DEFAULT_CONFIG_NAME = "all"

    def _info(self) -> datasets.DatasetInfo:
        return datasets.DatasetInfo(description=_DESCRIPTION, features=features(), homepage=_HOMEPAGE)

    def _dataset_root(self) -> Path:
        if self.config.data_dir:
            root = Path(self.config.data_dir)
            if not (root / "README.md").is_file():
                from globmed.errors import GlobMedError

                raise GlobMedError(f"{root}: not a GlobMed dataset folder; run `globmed build --out DIR`")
            return root
        from dataset_builder.pipeline import run_build

        release = Path(self._cache_dir_root) / "globmed_sample_release"
        if not (release / "globmed" / "MANIFEST.json").is_file():
            run_build("sample", release, progress=False)
        return release / "globmed"

    def _split_generators(self, dl_manager):
        root = self._dataset_root()
        lang, task = self.config.language or "*", self.config.task or "*"
        generators = []
        for split in SPLITS:
            files = sorted(str(p) for p in root.glob(f"data/{lang}/{task}/{split}-*.parquet"))
            if files:
                generators.append(datasets.SplitGenerator(name=split, gen_kwargs={"files": files}))
        if not generators:
            from globmed.errors import GlobMedError

            raise GlobMedError(f"{root}: no rows for config {self.config.name!r}")
        return generators

    def _generate_examples(self, files: list[str]):
        from datasets.builder import Key

        for file_index, path in enumerate(files):
            row_index = 0
            for batch in pq.ParquetFile(path).iter_batches(batch_size=10_000):
                for row in batch.to_pylist():
                    yield Key(file_index, row_index), row
                    row_index += 1
