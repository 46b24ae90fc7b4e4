"""bench serve's table (rich) and JSON."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

from movemirror.bench.flood_comparison import FLOOD_P99_BOUND
from movemirror.bench.serve import Plan, Results


def table(results: Results):
    from rich.table import Table

    out = Table(title=f"WebSocket matching ({os.cpu_count()} cores, server and load on "
                      "the same machine)")
    for column in ("loop", "clients", "malformed", "target/s", "matches/s", "p50 ms", "p99 ms",
                   "max ms", "least client/s", "superseded", "errors", "unanswered", "server CPU",
                   "server RSS MB", "load CPU", "flood CPU", "other jobs CPU"):
        out.add_column(column, justify="left" if column == "loop" else "right")
    for r in results.levels:
        rss = "-" if r.server_rss_start_mb is None else (
            f"{r.server_rss_start_mb:,.0f} -> {r.server_rss_end_mb:,.0f}")
        out.add_row(r.loop, str(r.clients), str(r.malformed_clients),
                    f"{r.clients * r.rate_per_client:,.0f}",
                    f"{r.matches_per_second:,.0f}", f"{r.p50_ms:.2f}", f"{r.p99_ms:.2f}",
                    f"{r.max_ms:.1f}", f"{r.min_client_matches_per_second:.1f}",
                    str(r.superseded), str(r.errors), str(r.unanswered),
                    "-" if r.server_cpu_percent is None else f"{r.server_cpu_percent:.0f}%",
                    rss, f"{r.load_cpu_percent:.0f}%",
                    f"{r.flood_cpu_percent:.0f}%" if r.malformed_clients else "-",
                    "-" if r.other_cpu_percent is None else f"{r.other_cpu_percent:.0f}%")
    return out


def write_json(results: Results, plan: Plan, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(
        {"bank_size": results.bank_size, "queries": results.queries, "k": plan.k,
         "index": plan.index or "default", "workers": plan.workers, "mirror": plan.mirror,
         "malformed_clients": plan.malformed_clients,
         "memory_started": [asdict(m) for m in results.memory_started],
         "memory_finished": [asdict(m) for m in results.memory_finished],
         "levels": [asdict(r) for r in results.levels],
         "floods": [{"loop": f.loop, "clients": f.clients,
                     "malformed_clients": f.malformed_clients,
                     "p99_without_ms": [r.p99_ms for r in f.without],
                     "p99_with_ms": [r.p99_ms for r in f.with_flood],
                     "pooled_p99_without_ms": f.pooled_p99_ms(False),
                     "pooled_p99_with_ms": f.pooled_p99_ms(True),
                     "pooled_p99_ratio": f.pooled_p99_ratio,
                     "pooled_p99_interval_95": f.pooled_p99_interval, "verdict": f.verdict,
                     "p99_ratios": f.p99_ratios, "median_p99_ratio": f.median_p99_ratio,
                     "median_p99_interval_95": f.median_p99_interval,
                     "median_cpu_percent_without": f.median_cpu(False),
                     "median_cpu_percent_with": f.median_cpu(True),
                     "bound": FLOOD_P99_BOUND, "malformed_sent": f.malformed_sent,
                     "malformed_answered_right": f.malformed_answered_right,
                     "malformed_answered_after_stop": f.malformed_answered_after_stop,
                     "malformed_owed": f.malformed_owed,
                     "malformed_left_owed": f.malformed_left_owed,
                     "levels_waited": f.levels_waited,
                     "malformed_unanswered": f.malformed_unanswered,
                     "malformed_wrong": f.malformed_wrong,
                     "load_average": f.load_average} for f in results.floods]},
        indent=2))
