"""The eval report: a printed table, and ``<date>-<model>.md`` + ``.json`` + ``.png`` for evaluators."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qa.evaluate.gate import TARGETS
from qa.evaluate.metrics import LOWER_IS_BETTER, METRICS

LABELS: dict[str, str] = {
    "recall@1": "Recall@1",
    "recall@5": "Recall@5",
    "recall@10": "Recall@10",
    "mrr": "MRR",
    "answer_hit": "Answer hit",
    "citation_precision": "Citation precision",
    "verbatim": "Verbatim",
    "abstention_accuracy": "Abstention acc.",
    "false_refusal": "False refusal (↓ better)",
    "reason_fit": "Decline reason fits",
    "latency_p50_ms": "Latency p50 ms",
    "latency_p95_ms": "Latency p95 ms",
}
BREAKDOWN_COLS: tuple[str, ...] = (
    "recall@1",
    "recall@5",
    "mrr",
    "answer_hit",
    "citation_precision",
    "abstention_accuracy",
    "false_refusal",
    "reason_fit",
    "latency_p95_ms",
)
CHART_METRICS: tuple[str, ...] = (
    "recall@5",
    "answer_hit",
    "citation_precision",
    "abstention_accuracy",
    "false_refusal",
)


def fmt(value: float | None, metric: str = "") -> str:
    """A cell: ``-`` when missing, one decimal for milliseconds, three otherwise."""
    if value is None:
        return "-"
    return f"{value:.1f}" if metric.endswith("_ms") else f"{value:.3f}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], markdown: bool = False) -> str:
    """A plain aligned table, or a Markdown pipe table."""
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def target_cell(metric: str, value: float | None) -> str:
    """The issue's target for a metric and whether ``value`` meets it."""
    if metric not in TARGETS:
        return ""
    t = TARGETS[metric]
    op = "≤" if metric in LOWER_IS_BETTER else "≥"
    if value is None:
        return f"{op} {fmt(t, metric)}"
    ok = value <= t if metric in LOWER_IS_BETTER else value >= t
    return f"{op} {fmt(t, metric)} {'met' if ok else 'MISSED'}"


def variants_table(summaries: dict[str, dict[str, float]], markdown: bool = False) -> str:
    """Metrics down, retrieval variants across, with the targets in the last column."""
    names = list(summaries)
    first = summaries[names[0]]
    header = ["metric", *names, "target (first variant)"]
    rows = [
        [LABELS[m], *(fmt(summaries[v].get(m), m) for v in names), target_cell(m, first.get(m))]
        for m in METRICS
        if any(m in s for s in summaries.values())
    ]
    rows.append(["questions", *(str(int(summaries[v]["n"])) for v in names), ""])
    return table(header, rows, markdown)


def breakdown_table(groups: dict[str, dict[str, float]], field: str, markdown: bool = False) -> str:
    """One row per group (e.g. each persona), the main metrics across."""
    header = [field, "n", *(LABELS[m] for m in BREAKDOWN_COLS)]
    rows = [[g, str(int(s["n"])), *(fmt(s.get(m), m) for m in BREAKDOWN_COLS)] for g, s in groups.items()]
    return table(header, rows, markdown)


def report_stem(date: str, model: str) -> str:
    """``<date>-<model>`` with the model reduced to a safe file name (a folder path becomes its last part)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(model.rstrip("/")).name or model).strip("-.")
    return f"{date}-{name or 'model'}"


def markdown(data: dict[str, Any]) -> str:
    """The Markdown report: what was run, the variant comparison, the breakdowns, the misses."""
    meta = data["meta"]
    first = next(iter(data["variants"]))
    lines = [
        f"# liwan-qa evaluation, {meta['date']}",
        "",
        f"- **Model:** `{meta['model']}`",
        f"- **Question set:** `{meta['questions_file']}` (sha256 `{meta['set_sha256']}`), "
        f"split: {meta['split'] or 'all'}, {meta['n_questions']} questions",
        f"- **Code:** commit `{meta.get('commit') or 'unknown'}`; {meta.get('cpus', '?')} CPUs",
        f"- **Index manifest:** `{json.dumps(meta['manifest'], ensure_ascii=False)}`",
        "",
        "All scores come from character offsets: a gold quote is *found* when the ranked passages "
        "(for Recall@k and MRR) or the answer's citations (for answer hit) cover every character of it. "
        "Citation precision is the share of citations that overlap a gold quote. Verbatim checks every "
        "quote and passage against the report between its offsets. Abstention accuracy is over "
        "unanswerable questions; false refusal is over answerable ones.",
        "",
        "## Retrieval variants",
        "",
        variants_table({v: d["summary"] for v, d in data["variants"].items()}, markdown=True),
        "",
        "Variants: " + "; ".join(f"**{v}** fuses {', '.join(d['retrievers'])}" for v, d in data["variants"].items()),
        "",
    ]
    if data.get("notes"):
        lines += ["## Skipped or partial metrics", "", *(f"- {n}" for n in data["notes"]), ""]
    if data.get("errors"):
        lines += ["## Input problems", "", *(f"- {e}" for e in data["errors"]), ""]
    lines += [f"## Breakdown ({first})", "", f"![breakdown chart]({data['chart']})", ""]
    for field, groups in data["variants"][first]["breakdown"].items():
        lines += [f"### By {field}", "", breakdown_table(groups, field, markdown=True), ""]
    misses = [q for q in data["questions"] if q["why"]]
    lines += [f"## Questions counted against {first} ({len(misses)})", ""]
    if misses:
        rows = [[q["id"], q.get("kind") or "", q["question"].replace("|", "/"), "; ".join(q["why"])] for q in misses]
        lines.append(table(["id", "kind", "question", "why"], rows, markdown=True))
    else:
        lines.append("None.")
    return "\n".join(lines) + "\n"


def chart(data: dict[str, Any], path: Path) -> None:
    """A PNG: the variants side by side, then the first variant broken down by each field."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    first = next(iter(data["variants"]))
    panels: list[tuple[str, dict[str, dict[str, float]]]] = [
        ("retrieval variants", {v: d["summary"] for v, d in data["variants"].items()})
    ]
    panels += [(f"{first} by {f}", g) for f, g in data["variants"][first]["breakdown"].items()]
    fig, axes = plt.subplots(len(panels), 1, figsize=(11, 3.2 * len(panels)), squeeze=False)
    for ax, (title, groups) in zip(axes[:, 0], panels, strict=True):
        names = list(groups)
        width = 0.8 / len(CHART_METRICS)
        for i, m in enumerate(CHART_METRICS):
            xs = [j + i * width for j, g in enumerate(names) if m in groups[g]]
            ys = [groups[g][m] for g in names if m in groups[g]]
            ax.bar(xs, ys, width, label=LABELS[m])
        ax.set_xticks([j + 0.4 - width / 2 for j in range(len(names))])
        ax.set_xticklabels([f"{g}\n(n={int(groups[g]['n'])})" for g in names], fontsize=8)
        ax.set_ylim(0, 1.05)
        ax.set_title(title, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes[0, 0].legend(fontsize=8, ncols=len(CHART_METRICS), loc="lower center", bbox_to_anchor=(0.5, 1.12))
    meta = data["meta"]
    fig.suptitle(f"liwan-qa eval {meta['date']} · {meta['model']} · split {meta['split'] or 'all'}", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(data: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write ``<date>-<model>.md``, ``.json`` and ``.png`` under ``out_dir``; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = report_stem(data["meta"]["date"], data["meta"]["model"])
    md, js, png = (out_dir / f"{stem}{ext}" for ext in (".md", ".json", ".png"))
    data = {**data, "chart": png.name}
    chart(data, png)
    js.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    md.write_text(markdown(data), encoding="utf-8")
    return [md, js, png]


def git_commit() -> str | None:
    """The checked-out commit (read-only ``git rev-parse``), or None outside a repository."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).parent,
            check=False,
        )
    except OSError:
        return None
    return done.stdout.strip() or None
