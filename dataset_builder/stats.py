"""Per-stage statistics of a build: wall time, CPU time (children included) and peak RSS."""

from __future__ import annotations

import logging
import resource
import time
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass
class StageStats:
    name: str
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    rows: int = 0
    peak_rss_mb: float = 0.0


def _peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return max(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


class Stage:
    """Context manager timing one stage (wall and CPU, children included) and recording peak RSS."""

    def __init__(self, stats: list[StageStats], name: str) -> None:
        self.stat = StageStats(name)
        stats.append(self.stat)

    def __enter__(self) -> StageStats:
        self.t0 = time.perf_counter()
        self.c0 = _cpu()
        return self.stat

    def __exit__(self, *exc: object) -> None:
        self.stat.seconds = time.perf_counter() - self.t0
        self.stat.cpu_seconds = _cpu() - self.c0
        self.stat.peak_rss_mb = _peak_rss_mb()
        logger.debug("stage %s: %.2fs, %d rows", self.stat.name, self.stat.seconds, self.stat.rows)


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


