"""Running the tiny training recipes quickly on a small, shared CPU machine (tests/training).

A ~100k-parameter model gains nothing from intra-op threads, and on a busy 2-core machine OpenMP threads that
spin-wait for each other made a 64x16 matmul 200x slower (14 ms instead of 0.06 ms): each training process, and
the test process while it trains in-process, uses one thread.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def subprocess_env() -> dict[str, str]:
    """The environment for a `globmed train` / `accelerate launch` child: this checkout first, one thread, offline."""
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}


@contextmanager
def one_torch_thread() -> Iterator[None]:
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
