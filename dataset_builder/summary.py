"""The closing summary `globmed build` prints: rows per language x task and per split, then rejects by reason."""

from __future__ import annotations

from typing import Any

from globmed.schema import SPLITS, TASKS


def split_sizes(report: dict[str, Any]) -> dict[str, int]:
    """Rows per split over every language and task."""
    counts = report["counts"]
    return {split: sum(cell.get(split, 0) for per in counts.values() for cell in per.values()) for split in SPLITS}


def summary_table(report: dict[str, Any]) -> str:
    counts = report["counts"]
    tasks = [t for t in TASKS if any(t in c for c in counts.values())]
    header = ["lang", *tasks, "total"]
    lines = []
    rows = []
    for lang in report["languages"]:
        per = [sum(counts[lang].get(t, {}).values()) for t in tasks]
        rows.append([lang, *map(str, per), str(sum(per))])
    totals = [sum(sum(counts[lg].get(t, {}).values()) for lg in counts) for t in tasks]
    rows.append(["all", *map(str, totals), str(sum(totals))])
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    lines.append(fmt.format(*header))
    lines.append(fmt.format(*("-" * w for w in widths)))
    lines += [fmt.format(*r) for r in rows]
    lines.append("splits: " + ", ".join(f"{split} {n}" for split, n in split_sizes(report).items()))
    lines.append("")
    lines.append(f"rows read {report['rows_read']}, kept {report['rows_kept']}, rejected {report['rows_rejected']}")
    if report["rejects_by_reason"]:
        width = max(len(k) for k in report["rejects_by_reason"])
        lines.append("rejects by reason:")
        for reason, n in sorted(report["rejects_by_reason"].items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  {reason:<{width}}  {n:>8}")
    return "\n".join(lines)
