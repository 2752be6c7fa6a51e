"""lm-eval's own CLI (`lm_eval run ...`), with two timers added: its scoring loop and its model forward calls.

`make bench-bench` runs lm-evaluation-harness as a whole process through this file, so its wall time, peak RSS
and predictions are those of the plain `lm_eval` command; the timers only wrap `HFLM.loglikelihood` (the whole
scoring loop, tokenization included, as `globmed bench` reports its own) and `HFLM._model_call` (the forward
pass), and write the sums as JSON to the path in GLOBMED_BENCH_TIMINGS when the process exits.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import time

from lm_eval.__main__ import cli_evaluate
from lm_eval.models.huggingface import HFLM

TIMINGS = {"scoring_s": 0.0, "forward_s": 0.0, "forward_calls": 0}


def _timed(method, key: str):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            TIMINGS[key] += time.perf_counter() - started
            if key == "forward_s":
                TIMINGS["forward_calls"] += 1

    return wrapper


def _write() -> None:
    with open(os.environ["GLOBMED_BENCH_TIMINGS"], "w", encoding="utf-8") as handle:
        json.dump(TIMINGS, handle)


if __name__ == "__main__":
    HFLM.loglikelihood = _timed(HFLM.loglikelihood, "scoring_s")
    HFLM._model_call = _timed(HFLM._model_call, "forward_s")
    atexit.register(_write)
    sys.argv[0] = "lm_eval"
    sys.exit(cli_evaluate())
