"""What one benchmark run is: `RunConfig` (data, scoring, output) and the optional lfqa `JudgeConfig`.

They sit apart from the runner so that `globmed bench --help`, whose flags are generated from these fields
(globmed.cli_args), and a roster check load no model code. The model itself is described twice on purpose:
`ModelInfo` (globmed.results) is what the results file says about it, `BackendConfig` how to load or call it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from benchmark.backends.base import BackendConfig
from globmed.bootstrap import DEFAULT_RESAMPLES
from globmed.errors import GlobMedError
from globmed.languages import language_codes
from globmed.layout import DEFAULT_RELEASE_ROOT, dataset_dir, lmeval_dir, results_dir
from globmed.results import ModelInfo
from globmed.tasks import task_names

SCORINGS = ("auto", "loglikelihood", "generate")


@dataclass
class JudgeConfig:
    """An OpenAI-compatible model that rates long-form answers 1-5 (benchmark/judge.py)."""

    model: str = field(metadata={"help": "lfqa: also score answers with this OpenAI-compatible judge model"})
    base_url: str = field(default="http://127.0.0.1:8000/v1", metadata={"help": "the judge's endpoint (…/v1)"})
    api_key_env: str | None = field(
        default="OPENAI_API_KEY", metadata={"help": "NAME of the environment variable holding the judge's API key"}
    )
    max_new_tokens: int = field(default=256, metadata={"help": "length of the judge's reply"})


@dataclass
class RunConfig:
    # what is evaluated
    model: ModelInfo
    backend: str = field(default="transformers", metadata={"help": "transformers, vllm or openai"})
    backend_config: BackendConfig = field(default_factory=BackendConfig)
    # what it is evaluated on
    dataset: str = field(
        default=str(dataset_dir(DEFAULT_RELEASE_ROOT)), metadata={"help": "dataset folder or Hub repo id"}
    )
    tasks: list[str] = field(default_factory=task_names, metadata={"help": "tasks, e.g. mcqa,nli; all: every one"})
    languages: list[str] = field(
        default_factory=language_codes, metadata={"help": "language codes, e.g. en,sw; all: the 12 GlobMed ones"}
    )
    limit: int | None = field(default=None, metadata={"help": "first N test items per language-task"})
    shots: int = field(
        default=0, metadata={"help": "k-shot examples: the first k of each cell's validation split, then of train"}
    )
    # how
    scoring: str = field(
        default="auto",
        metadata={"help": "choice tasks: letter log-likelihood or generation + extraction; auto: log-likelihood "
                          "where the backend supports it", "choices": SCORINGS},
    )
    max_new_tokens: int | None = field(
        default=None, metadata={"help": "override the task YAML's generation.max_new_tokens"}
    )
    judge: JudgeConfig | None = None
    resamples: int = field(
        default=DEFAULT_RESAMPLES, metadata={"help": "bootstrap resamples for 95% CIs; 0: no bootstrap, no CIs"}
    )
    seed: int = field(default=1234, metadata={"help": "seed of the bootstrap and the engines"})
    # where
    out: str = field(
        default=str(results_dir(DEFAULT_RELEASE_ROOT)),
        metadata={"help": "results folder (run JSON + samples JSONL); export-lmeval writes its task folder to "
                          f"{lmeval_dir(DEFAULT_RELEASE_ROOT)} unless --out is given"},
    )
    overwrite: bool = field(
        default=False,
        metadata={"help": "rerun even if a results file with this config exists, and write into an --out folder "
                          "holding files this command did not write (export-lmeval: replace that folder; "
                          "compare: replace an existing --json file)"},
    )

    def __post_init__(self) -> None:
        if self.scoring not in SCORINGS:
            raise GlobMedError(f"--scoring {self.scoring!r}: expected one of {', '.join(SCORINGS)}")
        if self.shots < 0:
            raise GlobMedError(f"--shots must be >= 0, got {self.shots}")
        if self.limit is not None and self.limit < 1:
            raise GlobMedError(f"--limit must be >= 1, got {self.limit}")
        if self.resamples < 0:  # 0 skips the bootstrap: point estimates without intervals
            raise GlobMedError(f"--resamples must be >= 0 (0: no confidence intervals), got {self.resamples}")
