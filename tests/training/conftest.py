"""Training tests run their tiny models on one torch thread (see tests/support/cpu_training.py for why)."""

from __future__ import annotations

import pytest
from support.cpu_training import one_torch_thread


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    with one_torch_thread():
        yield
