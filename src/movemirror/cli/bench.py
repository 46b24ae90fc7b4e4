"""`movemirror bench ...`: benchmarks on real data, each with its baseline in the same run."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from movemirror.bench import bank as bank_bench
from movemirror.bench import ingest as ingest_bench
from movemirror.bench import motion as motion_bench
from movemirror.bench import page as page_bench
from movemirror.bench import serve as serve_bench
from movemirror.bench import serve_report
from movemirror.bench.extra import INSTALL_HINT, missing_bench_packages
from movemirror.bench.load_level import LOOPS
from movemirror.bench.pose import PARTS as POSE_PARTS
from movemirror.bench.pose import SINGLE_RUNS
from movemirror.bench.quality_pipeline import ARCHIVE_SIDE
from movemirror.cli.choices import index_kinds_help, models_help
from movemirror.cli.commands import Typer
from movemirror.cli.console import console, fail
from movemirror.cli.params import (
    ADDRESS,
    DIR,
    ENGINE,
    INDEX,
    K_FLAGS,
    LOOP,
    METHOD,
    METRIC,
    MODE,
    MODEL,
    MS,
    PART,
    PIPELINE,
    PIXELS,
    RATE,
    SECONDS,
    SIDE,
    N,
    listed,
)
from movemirror.cli.values import (
    Names,
    choice,
    choices,
    read_with,
    whole_numbers,
)
from movemirror.coverage.map import METHODS as MAP_METHODS
from movemirror.errors import BankError
from movemirror.index import INDEX_KINDS
from movemirror.ingest.engines import ENGINES
from movemirror.motion.windows import MOTION_METRICS
from movemirror.pose import MODELS, MODES
from movemirror.wording import either

app = Typer(help="Benchmarks on real data.", no_args_is_help=True)

# The bank bench serve and bench page serve.
BenchBank = Annotated[Path | None, typer.Option(
    "--bank", metavar=DIR, help="Bank to serve (default: one built from LSPET's 6,000 poses).")]


def _report(line: str) -> None:
    console.print(line, highlight=False, markup=False)


INGEST = ingest_bench.Plan()
SERVE = serve_bench.Plan()
PAGE = page_bench.Plan()
MOTION = motion_bench.Plan()
QUICK_MOTION = motion_bench.Plan(queries=60, large=0, recall_queries=2)
BANK = bank_bench.Plan()


@app.command("ingest")
def ingest(
    limit: int = typer.Option(INGEST.limit, min=0, metavar=N,
                              help="How many LSPET photos (0: none)."),
    model: str = typer.Option(INGEST.model, metavar=MODEL, help=models_help(),
                              callback=choice(MODELS)),
    mode: str = typer.Option(INGEST.mode, metavar=MODE, callback=choice(MODES),
                             help="Estimator mode (ingestion's by default)."),
    videos: bool = typer.Option(INGEST.videos, "--videos/--no-videos",
                                help="Also time the videos."),
    workers: int = typer.Option(0, min=0, metavar=N, help="Worker processes (0: one per core)."),
    baseline: int = typer.Option(INGEST.baseline, min=0, metavar=N,
                                 help="Photos for the one-worker baseline (0: none)."),
    every_ms: int = typer.Option(INGEST.every_ms, "--every-ms", min=1, metavar=MS,
                                 help="Video sampling for the video run."),
    engines: Names = typer.Option(",".join(INGEST.engines), "--engine", metavar=listed(ENGINE),
                                  parser=choices(ENGINES),
                                help="Engines the photos run on, comma-separated (local,ray: "
                                     "Ray's overhead against the local engine, same photos)."),
    address: str | None = typer.Option(None, "--address", metavar=ADDRESS,
                                       help="The Ray cluster for --engine ray."),
    out: Path | None = typer.Option(None, metavar=DIR,
                                    help="Also write the results to ingest.json here."),
):
    """Index LSPET photos and the sample videos; report frames per second end to end."""
    from movemirror.errors import DatasetMissingError, IngestError

    plan = replace(INGEST, limit=limit, model=model, mode=mode, videos=videos,
                   baseline=baseline, every_ms=every_ms, workers=workers or INGEST.workers,
                   engines=engines, address=address)
    try:
        results = ingest_bench.run(plan, report=_report)
    except (DatasetMissingError, IngestError) as error:
        raise fail(str(error)) from None
    console.print(ingest_bench.table(results, plan))
    line = ingest_bench.follow_line(results)
    if line:
        console.print(line, highlight=False, markup=False, soft_wrap=True)
    if out is not None:
        ingest_bench.write_json(results, out / "ingest.json")


@app.command("bank")
def bank(
    size: int = typer.Option(BANK.size, min=1000, metavar=N, help="Poses in the bank."),
    append: int = typer.Option(BANK.append, min=1, metavar=N, help="Poses appended to it."),
    picture_bank: int = typer.Option(BANK.picture_bank, min=10, metavar=N,
                                     help="Poses of the second bank, each with a picture."),
    picture_side: int = typer.Option(BANK.picture_side, min=16, metavar=PIXELS,
                                     help="Longest side of the pictures."),
    folder: Path | None = typer.Option(None, metavar=DIR,
                                       help="Where to write the bank (a temporary folder "
                                            "inside it, removed after)."),
    out: Path = typer.Option(Path("bench-results"), metavar=DIR,
                             help="Directory for bank.json."),
    quick: bool = typer.Option(False, "--quick", help=(
        f"Small run: {bank_bench.QUICK.size:,} poses, {bank_bench.QUICK.append:,} appended.")),
):
    """The bank on disk: append vs a whole write, load with vectors, a picture by row."""
    from rich.table import Table

    from movemirror.errors import DatasetMissingError

    plan = bank_bench.QUICK if quick else replace(BANK, size=size, append=append,
                                                   picture_bank=picture_bank,
                                                   picture_side=picture_side)
    try:
        results = bank_bench.run(plan, folder, report=_report)
    except DatasetMissingError as error:
        raise fail(str(error)) from None
    bank_bench.write_json(results, plan, out / "bank.json")
    table = Table("measure", "value")
    table.add_row("write the whole bank from scratch", f"{results.write_seconds:.2f} s")
    table.add_row("the first append after loading", f"{results.first_append_seconds:.3f} s "
                  f"({results.first_append_seconds / results.write_seconds:.2%})")
    table.add_row(f"append {plan.append:,} poses (median of the {plan.appends} after it)",
                  f"{results.append_seconds:.3f} s "
                  f"({results.append_share:.2%} of the whole write)")
    table.add_row("  of which the commit (save)", f"{results.commit_seconds:.3f} s "
                  f"({results.commit_share:.2%})")
    table.add_row("load, vectors ready for search", f"{results.load_seconds:.3f} s")
    table.add_row("then its records (on first use)", f"{results.records_seconds:.3f} s")
    table.add_row(f"a picture by row (of {plan.picture_bank:,})",
                  f"median {results.picture_ms_median:.2f} ms, "
                  f"p95 {results.picture_ms_p95:.2f} ms")
    table.add_row("load average (1 min), start / end",
                  " / ".join(f"{load:.1f}" for load in results.load_average))
    console.print(table)
    console.print(f"wrote {out / 'bank.json'}", markup=False)


@app.command("serve")
def serve(
    bank_dir: BenchBank = None,
    clients: str = typer.Option(",".join(map(str, SERVE.clients)), metavar=listed(N),
                                help="Concurrent clients per level, comma-separated."),
    rate: float = typer.Option(SERVE.rate, min=0.1, max=120, metavar=RATE,
                               help="Poses a second per client."),
    seconds: float = typer.Option(SERVE.seconds, min=1, max=3600, metavar=SECONDS,
                                  help="Measured seconds per level (600: a soak test; the "
                                       "server's memory is sampled every second)."),
    warmup: float = typer.Option(SERVE.warmup, min=0, max=30, metavar=SECONDS,
                                 help="Unmeasured seconds first."),
    k: int = typer.Option(SERVE.k, *K_FLAGS, min=1, max=50, metavar=N, help="Matches per query."),
    mirror: bool = typer.Option(SERVE.mirror, "--mirror/--no-mirror",
                                help="Also match each pose mirrored, as the page does."),
    index: str | None = typer.Option(None, metavar=INDEX, help=index_kinds_help(),
                                     callback=choice(INDEX_KINDS)),
    workers: int = typer.Option(SERVE.workers, min=1, max=16, metavar=N,
                                help="Server processes."),
    loops: Names = typer.Option(",".join(SERVE.loops), "--loop", "--loops",
                                metavar=listed(LOOP), parser=choices(LOOPS),
                              help="Kinds of client, comma-separated: closed (like the page: "
                                   "one in flight, latest wins), open (sends at the rate "
                                   "whatever the replies)."),
    malformed: int = typer.Option(
        SERVE.malformed_clients, min=0, max=1000, metavar=N,
        help="Extra clients sending malformed messages at the rate (bad JSON, wrong shapes, "
             "NaN, unknown fields, oversized and binary frames; each answer checked). Each "
             "level then runs --rounds times without them and with them, turn about, and the "
             "others' p99 is compared."),
    rounds: int = typer.Option(SERVE.rounds, min=1, max=100, metavar=N,
                               help="With --malformed: rounds of the comparison, each about "
                                    "2 x (--seconds + --warmup + 0.5) s."),
    out: Path | None = typer.Option(None, metavar=DIR,
                                    help="Also write the results to serve.json here."),
):
    """Matches per second and p50/p99 latency over the WebSocket, on loopback."""
    from movemirror.errors import DatasetMissingError

    levels = whole_numbers(clients, "--clients", 1, 1000, example="1,50,200")
    plan = serve_bench.Plan(bank_dir=bank_dir, clients=levels, rate=rate,
                            seconds=seconds, warmup=warmup, k=k, index=index, workers=workers,
                            loops=loops, malformed_clients=malformed, rounds=rounds,
                            mirror=mirror)
    try:
        results = serve_bench.run(plan, report=_report)
    except (DatasetMissingError, BankError, RuntimeError) as error:
        raise fail(str(error)) from None
    console.print(serve_report.table(results))
    if out is not None:
        serve_report.write_json(results, plan, out / "serve.json")
        console.print(f"Wrote {out / 'serve.json'}", markup=False)


@app.command("search")
def search(
    sizes: str = typer.Option("80000,160000,1000000", metavar=listed(N),
                              help="Bank sizes, comma-separated; beyond 163,839 real poses the "
                                   "bank is enlarged with transformed copies (10000000 works)."),
    out: Path = typer.Option(Path("bench-results"), metavar=DIR,
                             help="Directory for search.json and search.png."),
    quick: bool = typer.Option(False, "--quick", help="Small run: 20,000 poses, few queries."),
):
    """Our index vs numpy brute force vs a vantage-point tree, on real Penn Action poses."""
    from movemirror.bench.search import Plan, run, time_likeness, write_json
    from movemirror.bench.search_report import chart, table
    from movemirror.bench.turns import Schedule
    from movemirror.errors import DatasetMissingError

    bank_sizes = whole_numbers(sizes, "--sizes", 1, example="80000,160000")
    if quick:
        plan = Plan(sizes=(20_000,), queries=200, weighted_queries=50, single_queries=100,
                    schedule=Schedule(round_s=0.05))
    else:
        plan = Plan(sizes=bank_sizes)
    try:
        results = run(plan, report=_report)
        likeness = time_likeness(plan, report=_report)
    except DatasetMissingError as error:
        raise fail(str(error)) from None
    out.mkdir(parents=True, exist_ok=True)
    write_json(results, plan, out / "search.json", likeness)
    chart(results, out / "search.png")
    console.print(table(results))
    console.print(f"wrote {out / 'search.json'} and {out / 'search.png'}", markup=False)


@app.command("coverage")
def coverage(
    sizes: str = typer.Option("0,1000000", metavar=listed(N),
                              help="Bank sizes, comma-separated; 0 is the real training poses "
                                   "(the baseline)."),
    reference: int = typer.Option(3000, min=2, metavar=N,
                                  help="Reference poses from held-out clips."),
    map_method: str | None = typer.Option(None, "--map", metavar=METHOD,
                                          callback=choice(MAP_METHODS),
                                          help=f"How to draw the map: {either(MAP_METHODS)} "
                                               "(default: umap where umap-learn is "
                                               "installed)."),
    out: Path = typer.Option(Path("bench-results"), metavar=DIR,
                             help="Directory for coverage.json."),
):
    """`movemirror coverage` timed, with its peak memory, on Penn Action's poses and on banks
    enlarged with transformed copies (marked *)."""
    from movemirror.bench import coverage as coverage_bench
    from movemirror.errors import DatasetMissingError

    plan = coverage_bench.Plan(whole_numbers(sizes, "--sizes", 0, example="0,1000000"),
                               reference, map_method)
    try:
        results = coverage_bench.run(plan, report=_report)
    except DatasetMissingError as error:
        raise fail(str(error)) from None
    coverage_bench.write_json(results, plan, out / "coverage.json")
    console.print(f"wrote {out / 'coverage.json'}", markup=False)


@app.command("motion")
def motion(
    queries: int = typer.Option(MOTION.queries, min=1, metavar=N,
                                help="Test clips, one movement each."),
    large: int = typer.Option(MOTION.large, min=0, metavar=N,
                              help="Poses of the enlarged bank for timing (0: none)."),
    recall_queries: int = typer.Option(MOTION.recall_queries, min=0, metavar=N,
                                       help="Queries also searched exhaustively (seconds "
                                            "each) to measure recall."),
    metric: str = typer.Option(MOTION.metric, metavar=METRIC, callback=choice(MOTION_METRICS),
                               help=f"Distance: {either(MOTION_METRICS)}."),
    out: Path = typer.Option(Path("bench-results"), metavar=DIR,
                             help="Directory for motion.json."),
    quick: bool = typer.Option(False, "--quick", help=(
        f"Small run: {QUICK_MOTION.queries} queries, no enlarged bank, "
        f"{QUICK_MOTION.recall_queries} for recall.")),
):
    """Movement search vs the still search of one frame, on Penn Action's train/test clips."""
    from movemirror.cli.motion_tables import agreement_table, timing_table
    from movemirror.errors import DatasetMissingError

    plan = replace(QUICK_MOTION, metric=metric) if quick else replace(
        MOTION, queries=queries, large=large, recall_queries=recall_queries, metric=metric)
    try:
        results = motion_bench.run(plan, report=_report)
    except DatasetMissingError as error:
        raise fail(str(error)) from None
    motion_bench.write_json(results, plan, out / "motion.json")
    console.print(agreement_table(results))
    console.print(timing_table(results))
    console.print(f"wrote {out / 'motion.json'}", markup=False)


@app.command("page")
def page(
    bank_dir: BenchBank = None,
    seconds: float = typer.Option(PAGE.seconds, min=2, max=120, metavar=SECONDS,
                                  help="Measured seconds per model and loop."),
    models: Names = typer.Option(",".join(PAGE.models), metavar=listed(MODEL),
                                 parser=choices((*page_bench.PAGE_MODELS, page_bench.AUTO)),
                               help=f"Comma-separated: {', '.join(page_bench.PAGE_MODELS)}, or "
                                    f"{page_bench.AUTO} (the page's own choice for this "
                                    "machine)."),
    loops: Names = typer.Option(",".join(PAGE.loops), "--loops", "--loop",
                                metavar=listed(LOOP),
                                parser=choices(page_bench.LOOPS, example="worker:1x2",
                                               allowed=page_bench.is_loop),
                              help="Comma-separated: main (the model on the page's thread, as "
                                   "before), worker (in Web Workers, the default) and "
                                   "worker:WxT (W workers of T WASM threads, e.g. worker:1x2)."),
    out: Path | None = typer.Option(None, metavar=DIR,
                                    help="Also write the results to page.json here."),
):
    """Poses per second, p95 camera-to-screen latency and where each frame's time goes (grab,
    wait, resize, infer, transfer, draw, send) of the page's camera loop in headless Chromium,
    the model on the page's thread and in a worker side by side."""
    plan = page_bench.Plan(bank_dir=bank_dir, seconds=seconds, models=models, loops=loops)
    try:
        measured = page_bench.run(plan, report=_report)
    except (FileNotFoundError, BankError, RuntimeError) as error:  # DatasetMissingError too
        raise fail(str(error)) from None
    console.print(page_bench.table(measured))
    if out is not None:
        page_bench.write_json(measured, out / "page.json")
        console.print(f"Wrote {out / 'page.json'}", markup=False)


@app.command("pose")
def pose(
    start: int = typer.Option(1000, min=0, metavar=N,
                              help="First LSPET photo (0-based; the modes were tuned on the "
                                   "first 1,000)."),
    count: int = typer.Option(5000, min=1, metavar=N, help="LSPET photos for PCK."),
    models: Names = typer.Option("", metavar=listed(MODEL),
                                 parser=choices(dict.fromkeys(m for m, _ in SINGLE_RUNS),
                                                empty=True),
                               help="Only these models, comma-separated (default: all)."),
    modes: Names = typer.Option("", metavar=listed(MODE), parser=choices(MODES, empty=True),
                              help="Only these modes, comma-separated (default: all)."),
    speed_images: int = typer.Option(400, min=0, metavar=N,
                                     help="Photos for the speed run (0: none)."),
    workers: int = typer.Option(0, min=0, metavar=N, help="Threads (0: one per core)."),
    quick: bool = typer.Option(False, "--quick", help="Small run: 200 photos, 100 for speed."),
    parts: Names = typer.Option(",".join(POSE_PARTS), metavar=listed(PART),
                                parser=choices(POSE_PARTS),
                              help="Which measurements, comma-separated."),
    out: Path = typer.Option(Path("bench-results"), metavar=DIR,
                             help="Directory for pose.json."),
):
    """PCK@0.2 on LSPET, OKS AP on COCO, agreement with TF.js and images/s, per model and mode."""
    from movemirror.bench.pose import Plan, run, table, write_json
    from movemirror.errors import DatasetMissingError, ModelMissingError

    keep_models, keep_modes = set(models), set(modes)
    runs = tuple((m, d) for m, d in SINGLE_RUNS
                 if (not keep_models or m in keep_models) and (not keep_modes or d in keep_modes))
    if not runs:
        every = ", ".join(f"{m}/{d}" for m, d in SINGLE_RUNS)
        raise fail(f"--models {','.join(models)!r} and --modes {','.join(modes)!r} leave "
                   f"nothing to run; the runs are {every}", 2)
    wanted = set(parts)
    plan = Plan(lspet_start=start, lspet_count=200 if quick else count, runs=runs,
                speed_images=0 if "speed" not in wanted else
                min(speed_images, 100) if quick else speed_images,
                pck="pck" in wanted, coco="coco" in wanted, tfjs="tfjs" in wanted)
    if workers:
        plan.workers = workers
    try:
        results = run(plan, report=_report)
    except (DatasetMissingError, ModelMissingError) as error:
        raise fail(str(error)) from None
    write_json(results, out / "pose.json")
    console.print(table(results))
    console.print(f"wrote {out / 'pose.json'}", markup=False)


def _pipeline(text: str):
    from movemirror.bench.quality_pipeline import Pipeline  # not at the command line's start

    return Pipeline.parse(text)


def _side(text: str):
    from movemirror.bench.quality_poses import Side

    return Side.parse(text)


@app.command("quality")
def quality(
    pipeline: list[str] = typer.Option(
        None, "--pipeline", metavar=PIPELINE, callback=read_with(_pipeline),
        help="ARCHIVE/QUERY/METRIC, then as needed /mirror, /refuse=SCORE and /rerank=K; "
        "repeatable (default: true poses, the original Move Mirror, today's defaults). A side "
        "is truth, single:MODEL:MODE, ingest:MODEL:MODE or page:BLAZEPOSE_MODEL:MODE (as the "
        "page runs BlazePose, from Lightning's pose); a query side may also be SIDE+flip (the "
        "model on the photo and its mirror image, fused) or ensemble:SIDE,SIDE[,SIDE] (fused "
        "per keypoint). rerank=K: METRIC re-ranks the exact "
        "cosine top K. METRIC learned: the two-stage search with maps learned from the "
        "archive photos' own two estimates (no truth; rerank=K sets its stage one's K)."),
    archive: int = typer.Option(4000, min=1, max=4000, metavar=N,
                                help="Archive photos (LSPET 1..N)."),
    queries: int = typer.Option(1000, min=1, max=1000, metavar=N,
                                help="Query photos per half (tuning from 4001, report from 5001)."),
    workers: int = typer.Option(0, min=0, metavar=N,
                                help="Estimation workers (0: the cores left free)."),
    out: Path = typer.Option(Path("bench-results"), metavar=DIR,
                             help="Directory for quality.json."),
):
    """Do matches look like the query? Judged on LSPET's true poses, per pipeline."""
    from movemirror.bench import quality as quality_bench
    from movemirror.bench import quality_report
    from movemirror.bench.quality_pipeline import DEFAULT_PIPELINES
    from movemirror.errors import DatasetMissingError, ModelMissingError

    pipelines = tuple(pipeline or DEFAULT_PIPELINES)
    plan = quality_bench.Plan(archive=(0, archive), tuning=(4000, 4000 + queries),
                              held_out=(5000, 5000 + queries), pipelines=pipelines,
                              workers=workers or quality_bench.default_workers())
    try:
        results = quality_bench.run(plan, report=_report)
    except (DatasetMissingError, ModelMissingError) as error:
        raise fail(str(error)) from None
    quality_report.write_json(results, out / "quality.json")
    console.print(quality_report.table(results))
    console.print(f"wrote {out / 'quality.json'}", markup=False)


@app.command("quality-video")
def quality_video(
    frames: int = typer.Option(120, min=2, max=120, metavar=N, help="The clip's first N frames."),
    archive: int = typer.Option(4000, min=1, max=4000, metavar=N,
                                help="Archive photos (LSPET 1..N)."),
    archive_side: str = typer.Option(
        ARCHIVE_SIDE, metavar=SIDE, callback=read_with(_side),
        help="How the archive is searched: truth, single:MODEL:MODE or ingest:MODEL:MODE "
             "(judged on the true poses either way)."),
    out: Path = typer.Option(Path("bench-results"), metavar=DIR,
                             help="Directory for quality-video.json."),
):
    """Does a smoothed or consensus query pose pick better matches on video than the raw one?"""
    from movemirror.bench import quality_report
    from movemirror.bench import quality_video as video_bench
    from movemirror.errors import DatasetMissingError, ModelMissingError

    plan = video_bench.VideoPlan(archive=(0, archive), archive_side=archive_side, frames=frames)
    try:
        results = video_bench.run(plan, report=_report)
    except (DatasetMissingError, ModelMissingError) as error:
        raise fail(str(error)) from None
    quality_report.write_json(results, out / "quality-video.json")
    console.print(video_bench.table(results))
    console.print(f"wrote {out / 'quality-video.json'}", markup=False)


def _needs_bench_extra(command: Callable) -> Callable:
    """Fail before the run, naming the install, when the `bench` extra is not installed."""

    @functools.wraps(command)
    def checked(*args, **kwargs):
        missing = missing_bench_packages()
        if missing:
            raise fail(f"movemirror bench needs {', '.join(missing)} (the benchmark extra): "
                       f"{INSTALL_HINT}")
        return command(*args, **kwargs)

    return checked


# Every bench command checks the extra first; --help works without it.
for _command in app.registered_commands:
    if _command.callback is not None:
        _command.callback = _needs_bench_extra(_command.callback)
