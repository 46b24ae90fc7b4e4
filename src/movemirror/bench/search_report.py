"""The search benchmark's table (rich) and chart (matplotlib PNG)."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from movemirror.bench.search import (
    APPROX,
    BASELINE,
    OURS,
    REFERENCE,
    REFERENCE_JS,
    Result,
    turn_range,
)


def _ratio(slow: float | None, fast: float) -> str:
    return "" if slow is None or fast <= 0 else f"{slow / fast:,.1f}x"


def table(results: list[Result]) -> Table:
    """One row per method; the ratios say how many times faster our index's p50 is (for the
    JavaScript tree, how many times faster PoseBank.search on one pose is, end to end).
    Each p50 is over turns spread over a few seconds; the least and greatest turn's p50
    show the machine's spells."""
    out = Table(title=f"Top-10 search: {OURS} (ours) vs numpy brute force vs vantage-point trees")
    for name in ("bank", "metric", "method", "build", "memory (x raw)", "p50", "p99",
                 "turns' p50", "one pose end to end p50 (turns')", "batch q/s", "recall@10",
                 "ours faster than this (p50)"):
        out.add_column(name, justify="left" if name in ("metric", "method") else "right")
    by_key = {(r.size, r.metric, r.method): r for r in results}
    for r in results:
        ours = by_key.get((r.size, r.metric, OURS))
        size = f"{r.size:,}" + (" *" if r.synthetic else "")
        ratio = ""
        if ours and r.method == REFERENCE_JS:
            ratio = _ratio(r.p50_us, ours.end_to_end_p50_us or ours.p50_us) + " (end to end)"
        elif ours and r.method != OURS:
            ratio = _ratio(r.p50_us, ours.p50_us)
        memory = (f"{r.memory_bytes / 2**20:,.0f} MB ({r.memory_bytes / r.raw_bytes:.2f})"
                  if r.memory_bytes else "-")
        out.add_row(
            size, r.metric, r.method + (" (ours)" if r.method == OURS else ""),
            f"{r.build_s:.2f} s", memory,
            f"{r.p50_us:,.1f} us", f"{r.p99_us:,.1f} us", f"{turn_range(r.turn_p50s_us)} us",
            "" if r.end_to_end_p50_us is None else
            f"{r.end_to_end_p50_us:,.1f} us ({turn_range(r.end_to_end_turn_p50s_us or [])})",
            f"{r.batch_qps:,.0f}", f"{r.recall_at_10:.4f}", ratio,
        )
    out.caption = ("* enlarged with transformed, half-mirrored copies of the real poses. "
                   "Memory includes the bank's float32 vectors (raw = N x 52 x 4 bytes). "
                   f"{REFERENCE_JS}: a JavaScript tree after the original Move Mirror's, in "
                   "node (bench-only code); its batch q/s is its single queries in a row.")
    return out


def chart(results: list[Result], path: Path) -> None:
    """p50 time per single query against bank size, one line per method and metric."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {OURS: "tab:green", BASELINE: "tab:blue", REFERENCE: "tab:orange",
               APPROX: "tab:olive", REFERENCE_JS: "tab:red"}
    styles = {"cosine": "-", "weighted": "--"}
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    for method in (OURS, APPROX, BASELINE, REFERENCE, REFERENCE_JS):
        for metric in ("cosine", "weighted"):
            points = sorted((r.size, r.p50_us) for r in results
                            if r.method == method and r.metric == metric)
            if points:
                xs, ys = zip(*points, strict=True)
                ax.plot(xs, ys, styles[metric], marker="o", color=colours[method],
                        label=f"{method} ({metric})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("bank size (poses)")
    ax.set_ylabel("p50 time per single query (µs)")
    ax.set_title("Top-10 pose search, one query at a time")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
