"""The tables of `movemirror bench motion` (results from movemirror.bench.motion)."""

from __future__ import annotations

from rich.table import Table

from movemirror.bench.motion import Results


def agreement_table(results: Results) -> Table:
    """Per variant: top-1 and top-5 action agreement of movement and still search."""
    out = Table(title=f"Action agreement on {results.queries:,} movements of test clips "
                      f"(bank: {results.bank_poses:,} poses of {results.bank_tracks:,} "
                      "training clips)")
    for name in ("queries", "movement top-1", "still top-1", "gain", "movement top-5",
                 "still top-5", "median speed found"):
        out.add_column(name, justify="left" if name == "queries" else "right")
    still = {a.variant: a for a in results.agreement if a.method == "still"}
    for a in results.agreement:
        if a.method != "movement":
            continue
        s = still[a.variant]
        out.add_row(a.variant, f"{a.top1:.3f}", f"{s.top1:.3f}", f"{a.top1 - s.top1:+.3f}",
                    f"{a.top5:.3f}", f"{s.top5:.3f}", f"{a.median_speed:.2f}x")
    out.caption = (f"Metric: {results.metric}. Still: today's search of the movement's middle "
                   "pose alone (its best 5 distinct clips). Mirrored: both search mirrored too.")
    return out


def timing_table(results: Results) -> Table:
    out = Table(title="Time per query on one core, and the window index")
    for name in ("bank", "tracks", "index build", "index memory", "movement p50",
                 "movement p99", "still p50", "still p99"):
        out.add_column(name, justify="right")
    for t in results.timing:
        out.add_row(f"{t.poses:,}" + (" *" if t.synthetic else ""), f"{t.tracks:,}",
                    f"{t.build_s:.1f} s", f"{t.memory_bytes / 2**20:,.0f} MB",
                    f"{t.p50_ms:.2f} ms", f"{t.p99_ms:.2f} ms", f"{t.still_p50_ms:.2f} ms",
                    f"{t.still_p99_ms:.2f} ms")
    caption = ["* enlarged with transformed copies of whole training clips."]
    if results.recall is not None:
        r = results.recall
        caption.append(f"Recall@5 of the window index against the exhaustive search: "
                       f"{r.recall_at_5:.3f} ({r.queries} queries, {r.poses:,} poses; same "
                       f"best track {r.top1_same:.3f}; 5th distance {r.distance_ratio_5th:.3f}x "
                       "the exhaustive one's).")
    out.caption = " ".join(caption)
    return out
