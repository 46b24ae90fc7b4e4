"""The page's frame rate in headless Chromium: pose estimation plus matching, camera to screen,
with where each frame's time goes, for the model on the page's thread and in a worker.

A fake webcam plays a real clip (tfjs-models' pose_1.mp4, written as .y4m with PyAV);
Debian's Chromium runs the page without a GPU. Also used by the browser tests.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
WEBCAM_SIDE = 320
WEBCAM_FRAMES = 90


def make_fake_webcam(video: Path, out: Path, side: int = WEBCAM_SIDE,
                     frames: int = WEBCAM_FRAMES) -> Path:
    """The first `frames` frames of `video`, scaled to side x side, as a .y4m for Chromium."""
    import av

    if out.exists() and out.stat().st_size > 0:
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".partial")
    with av.open(str(video)) as source, av.open(str(partial), "w", format="yuv4mpegpipe") as sink:
        stream = sink.add_stream("rawvideo", rate=Fraction(30))
        stream.width = stream.height = side
        stream.pix_fmt = "yuv420p"
        for i, frame in enumerate(source.decode(video=0)):
            if i >= frames:
                break
            small = frame.reformat(width=side, height=side, format="yuv420p")
            small.pts = None
            for packet in stream.encode(small):
                sink.mux(packet)
        for packet in stream.encode():
            sink.mux(packet)
    partial.rename(out)
    return out


# An init script that makes the page see a returning visitor, so it skips the first visit's
# start screen and asks for the camera at once (the benchmarks and most browser tests).
RETURNING_VISITOR = "try { localStorage.setItem('movemirror.started', '1'); } catch (e) {}"


def chromium_args(webcam: Path | None) -> list[str]:
    args = [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync",
        "--autoplay-policy=no-user-gesture-required",
    ]
    if webcam is not None:
        args += ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                 f"--use-file-for-fake-video-capture={webcam}"]
    return args


# The page's frame stages (frame_timings.js STAGES), in the order a frame goes through them.
STAGES = ("grab", "wait", "resize", "infer", "transfer", "draw", "send")
LOOPS = ("main", "worker")  # where the page runs the model: its own thread (before) or a worker


def is_loop(spec: str) -> bool:
    """Whether loop_options takes spec."""
    try:
        loop_options(spec)
    except ValueError:
        return False
    return True


def loop_options(spec: str) -> dict[str, str]:
    """The page's query for a loop: "main", "worker" (the page's own choice of workers and
    WASM threads) or "worker:WxT" (W workers of T threads each, e.g. worker:1x2)."""
    loop, _, shape = spec.partition(":")
    if loop not in LOOPS or (shape and loop != "worker"):
        raise ValueError(f"unknown loop {spec!r}: use main, worker or worker:WxT (e.g. worker:1x2)")
    if not shape:
        return {"loop": loop}
    workers, _, threads = shape.partition("x")
    if not (workers.isdigit() and threads.isdigit() and int(workers) > 0 and int(threads) > 0):
        raise ValueError(f"unknown loop {spec!r}: W and T in worker:WxT are whole numbers over 0")
    return {"loop": loop, "workers": workers, "threads": threads}


def measure_page(url: str, webcam: Path, seconds: float = 10.0, model: str | None = None,
                 loop: str | None = None, timeout_s: float = 120.0,
                 camera_fps: int | None = None) -> dict:
    """Open the page with the fake webcam and report its loop's rates and where each frame's
    time went, measured after the first matches came (model and backend chosen, warmed up).
    `loop` as loop_options takes it; camera_fps, the camera rate Auto's model must keep (the
    page's ?fps=, 30 when None)."""
    from urllib.parse import urlencode

    from playwright.sync_api import sync_playwright

    from movemirror.bench.process_cpu import cores_busy, cpu_by_role, machine_busy_seconds

    options = {"model": model} if model else {}
    options |= loop_options(loop) if loop else {}
    options |= {"fps": str(camera_fps)} if camera_fps else {}
    query = f"?{urlencode(options)}" if options else ""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=chromium_args(webcam))
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.add_init_script(RETURNING_VISITOR)
            started = time.perf_counter()
            page.goto(url + query)
            page.wait_for_function("() => window.movemirror && window.movemirror.replies > 0",
                                   timeout=timeout_s * 1000)
            first_s = time.perf_counter() - started
            page.wait_for_function("() => window.movemirror.replies > 5",
                                   timeout=timeout_s * 1000)
            ready_s = time.perf_counter() - started
            counts = """() => ({frames: window.movemirror.frames,
                replies: window.movemirror.replies, screen: window.movemirror.screenFrames,
                workers: window.movemirror.workers, now: performance.now()})"""
            page.evaluate("() => window.movemirror.clearFrameTimings()")
            cpu_before, busy_before = cpu_by_role(), machine_busy_seconds()
            before = page.evaluate(counts)
            page.wait_for_timeout(seconds * 1000)
            after = page.evaluate(counts)
            cpu_after, busy_after = cpu_by_role(), machine_busy_seconds()
            state = page.evaluate("""() => ({estimateMs: window.movemirror.estimateMs,
                backend: window.movemirror.backend, model: window.movemirror.model,
                loop: window.movemirror.loop, timings: window.movemirror.timings,
                workers: window.movemirror.workers, details: window.movemirror.backendDetails,
                choice: window.movemirror.modelChoice,
                countTrials: window.movemirror.detector.estimator.countTrials ?? [],
                frameTimings: window.movemirror.frameTimings()})""")
            if not model or model == AUTO:
                # Auto matches at once and tries the more accurate models in the background:
                # when it settled, and what each trial measured (the live loop's rate too).
                page.wait_for_function("() => window.movemirror.modelChoice !== null",
                                       timeout=timeout_s * 1000)
                state["choice"] = page.evaluate("() => window.movemirror.modelChoice")
                state["model"] = page.evaluate("() => window.movemirror.model")
                # from the page's own clock: the choice may have come before it was asked for
                choice_s = state["choice"].get("decidedMs", 0) / 1000 or (
                    time.perf_counter() - started)
        finally:
            browser.close()
    elapsed = (after["now"] - before["now"]) / 1000
    frames = state["frameTimings"]
    return {
        "requested_model": model or AUTO, "model": state["model"], "loop": state["loop"],
        "requested_loop": loop or "",
        "backend": state["backend"], "backend_details": state["details"],
        "workers": state["workers"] if state["loop"] == "worker" else 0,
        # the workers in use as the measured seconds began, and the live loop's trials of one
        # worker against two (pose_client.js, worker_count.js): {atMs, rates, count}
        "workers_at_start": before["workers"] if state["loop"] == "worker" else 0,
        "worker_count_trials": state["countTrials"],
        "measured_from_ms": before["now"],
        "model_choice": state["choice"],
        "backend_trial_ms_per_pose": state["timings"],
        "seconds_to_first_match": round(first_s, 2),
        "seconds_to_first_matches": round(ready_s, 2),
        "seconds_to_model_choice": round(choice_s, 2) if not model or model == AUTO else None,
        "measured_seconds": round(elapsed, 2),
        "frames_per_second": (after["frames"] - before["frames"]) / elapsed,
        "screen_frames_per_second": (after["screen"] - before["screen"]) / elapsed,
        "matches_per_second": (after["replies"] - before["replies"]) / elapsed,
        "dropped_frames": frames["dropped"], "late_frames": frames["late"],
        "stages_ms": {stage: frames[stage] for stage in (*STAGES, "latency") if stage in frames},
        "latency_p95_ms": frames["latency"]["p95"] if "latency" in frames else None,
        "latency_from": frames["latencyFrom"],
        "last_pose_ms": state["estimateMs"],
        # Where the cores went: the browser's processes and threads, the server, and the
        # whole machine (other jobs too), in cores kept busy over the measured seconds.
        "cores_busy": cores_busy(cpu_before, cpu_after, elapsed),
        "machine_cores_busy": round((busy_after - busy_before) / elapsed, 2),
    }


# The models the page runs, named as its detector.js MODELS (tests/web/test_js_matches_python.py
# holds them equal), and AUTO, the page's own choice among them (model_choice.js AUTO).
PAGE_MODELS = ("lightning", "thunder", "posenet", "blazepose-full", "blazepose-heavy")
AUTO = "auto"
DEFAULT_MODELS = ("lightning", "thunder")


@dataclass(frozen=True)
class Plan:
    bank_dir: Path | None = None  # None: a bank of LSPET's 6,000 annotated poses
    seconds: float = 10.0  # measured seconds per model and loop
    models: tuple[str, ...] = DEFAULT_MODELS  # or "auto": the page's own choice
    loops: tuple[str, ...] = LOOPS


def run(plan: Plan, report: Callable[[str], None]) -> dict:
    """The page's rates for each model and loop, served by `movemirror serve` on loopback,
    the loops of one model back to back so that their ratio holds on a busy machine.
    Raises FileNotFoundError without Chromium, DatasetMissingError without the clip."""
    import tempfile

    from movemirror.bench.machine import machine_info
    from movemirror.bench.serve_data import lspet_bank
    from movemirror.bench.server_process import ServerProcess
    from movemirror.datasets import cache_dir, dataset_dir

    if not CHROMIUM.exists():
        raise FileNotFoundError("Debian's chromium is missing: run make setup-browser")
    clip = dataset_dir("tfjs-pose-detection-testdata") / "pose_1.mp4"
    webcam = make_fake_webcam(clip, cache_dir() / "bench" / f"pose_1-{WEBCAM_SIDE}.y4m")
    machine_before = machine_info()
    results = []
    with tempfile.TemporaryDirectory(prefix="movemirror-bench-page-") as scratch:
        bank_dir = plan.bank_dir
        if bank_dir is None:
            report("No --bank: building one from LSPET's 6,000 annotated poses.")
            bank_dir = lspet_bank(Path(scratch) / "bank")
        with ServerProcess(bank_dir) as server:
            for model in plan.models:
                for loop in plan.loops:
                    result = measure_page(f"http://127.0.0.1:{server.port}/", webcam,
                                          plan.seconds, model, loop)
                    report(f"{model}, {loop} loop: {result['frames_per_second']:.1f} poses/s, "
                           f"p95 latency {result['latency_p95_ms']:.0f} ms")
                    if result["worker_count_trials"]:
                        report(count_summary(result))
                    if result["seconds_to_model_choice"] is not None:
                        report(auto_summary(result))
                    results.append(result)
    return {"machine": machine_before, "load_average_after": machine_info()["load_average"],
            "webcam": {"side": WEBCAM_SIDE, "fps": 30, "clip": clip.name},
            "results": results}


def count_summary(result: dict) -> str:
    """The live loop's trials of one worker against two: when (s from the measured seconds'
    start, negative before it), the poses a second each count delivered, the count kept."""
    trials = "; ".join(
        f"at {(t['atMs'] - result['measured_from_ms']) / 1000:.1f} s "
        + ", ".join(f"{n} worker(s) {rate:.1f}" for n, rate in sorted(t["rates"].items()))
        + f" poses/s: kept {t['count']}"
        for t in result["worker_count_trials"])
    return (f"{result['requested_model']}: {result['workers_at_start']} worker(s) as the measured "
            f"seconds began; live trials: {trials}")


def auto_summary(result: dict) -> str:
    """What Auto did: its first match, each background trial (the model's ms a pose, the live
    loop's poses a second meanwhile and how long it paused for the timing), and its choice."""
    trials = "; ".join(
        f"{t['model']}: {t['msPerRun']:.0f} ms/pose" if t["msPerRun"] is not None
        else f"{t['model']}: failed ({t['error']})"
        for t in (result["model_choice"] or {}).get("trials", []))
    details = "; ".join(
        f"{t['model']} trial {t['trialMs'] / 1000:.1f} s, live loop {t['livePosesPerSecond']:.1f}"
        f" poses/s, paused {t['pausedMs']:.0f} ms"
        for t in (result["model_choice"] or {}).get("trials", []))
    return (f"auto, {result['loop']} loop: first match after "
            f"{result['seconds_to_first_match']:.1f} s; trials: {trials or 'none'} "
            f"({details or 'none'}); chose {result['model']} after "
            f"{result['seconds_to_model_choice']:.1f} s")


def _main_loop_rate(results: list[dict], requested: str) -> float | None:
    for r in results:
        if r["requested_model"] == requested and r["loop"] == "main":
            return r["frames_per_second"]
    return None


def _loop_cell(result: dict) -> str:
    """The loop as it ran: main, or worker WxT (workers x WASM threads each, as reported)."""
    threads = (result.get("backend_details") or {}).get("threads")
    if result["loop"] != "worker" or not result.get("workers") or threads is None:
        return result["loop"]
    return f"worker {result['workers']}x{threads}"


def model_cores(result: dict) -> float | None:
    """Cores the model kept busy: the workers' threads, or the page's thread in the main loop
    (which also draws), None where it was not measured."""
    cores = result.get("cores_busy") or {}
    role = "renderer: page thread" if result["loop"] == "main" else "renderer: workers"
    return cores.get(role)


# The roles (process_cpu.cpu_by_role) of the browser's processes: the page's own, the model's
# among them; the server and Playwright's node are the bench's.
BROWSER_ROLES = ("renderer", "gpu-process", "browser", "utility", "zygote")


def page_cores(result: dict) -> float | None:
    """Cores the browser kept busy besides the model (drawing, compositing, the matches, the
    camera), None where it was not measured."""
    cores, model = result.get("cores_busy"), model_cores(result)
    if not cores or model is None:
        return None
    return sum(v for role, v in cores.items() if role.startswith(BROWSER_ROLES)) - model


def others_cores(result: dict) -> float | None:
    """The machine's busy cores less the run's own (browser, server, Playwright): other jobs."""
    cores = result.get("cores_busy")
    if not cores or "machine_cores_busy" not in result:
        return None
    return max(0.0, result["machine_cores_busy"] - sum(cores.values()))


def _model_cpu_cells(result: dict) -> tuple[str, ...]:
    """Model cores, its CPU time a pose (whatever the machine's load), the page's other cores,
    the machine's busy cores and those of other jobs, or blanks where they were not measured.
    With the machine otherwise quiet Lightning keeps camera rate; other jobs' cores are what
    lower it (docs/web-app.md, where the cores go)."""
    cores, rate = model_cores(result), result["frames_per_second"]
    page, others = page_cores(result), others_cores(result)
    if cores is None or page is None or others is None:
        return "", "", "", "", ""
    per_pose = f"{1000 * cores / rate:.0f}" if rate else ""
    return (f"{cores:.2f}", per_pose, f"{page:.2f}", f"{result['machine_cores_busy']:.2f}",
            f"{others:.2f}")


def table(measured: dict):
    from rich.table import Table

    load = measured["machine"]["load_average"]
    out = Table(title=f"The page in headless Chromium, no GPU ({WEBCAM_SIDE} px fake webcam "
                      f"at 30 fps; load average {load:.1f} on "
                      f"{measured['machine']['cpus']} cpus)")
    columns = ("model", "loop", "backend", "poses/s", "x main", "screen/s", "matches/s",
               "p95 latency ms", *(f"{stage} ms" for stage in STAGES), "first match s",
               "model cores", "model CPU ms/pose", "page cores besides the model",
               "machine cores busy", "other jobs' cores")
    for column in columns:
        out.add_column(column, justify="right")
    for r in measured["results"]:
        base = _main_loop_rate(measured["results"], r["requested_model"])
        ratio = f"{r['frames_per_second'] / base:.2f}" if base else ""
        stages = r["stages_ms"]
        latency = r["latency_p95_ms"]
        out.add_row(
            r["model"] if r["requested_model"] == r["model"] else f"auto: {r['model']}",
            _loop_cell(r), r["backend"], f"{r['frames_per_second']:.1f}", ratio,
            f"{r['screen_frames_per_second']:.1f}", f"{r['matches_per_second']:.1f}",
            f"{latency:.0f}" if latency is not None else "",
            *(f"{stages[stage]['mean']:.1f}" if stage in stages else "" for stage in STAGES),
            f"{r.get('seconds_to_first_match', r['seconds_to_first_matches']):.1f}",
            *_model_cpu_cells(r))
    return out


def write_json(measured: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(measured, indent=2))
