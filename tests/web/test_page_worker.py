"""The pose model in a Web Worker, the frame timings and the page's own choice of model.

The pure modules (model_choice.js, frame_timings.js) run in node; the loops run in headless
Chromium with the fake webcam playing a real clip, the old main-thread loop (?loop=main)
measured beside the worker loop on the same machine, one after the other.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from .pages import wait_for, wait_for_matches
from .test_js_matches_python import run_js

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
LABELS = {"blazepose-heavy": "BlazePose Heavy", "blazepose-full": "BlazePose Full",
          "thunder": "MoveNet Thunder", "lightning": "MoveNet Lightning"}
BY_QUERY_QUALITY = ["thunder", "blazepose-full", "lightning"]
BY_COST = ["lightning", "blazepose-full", "thunder"]


# --- the choice of model (node) ---------------------------------------------------------------

def choose(measured: dict, fps: int = 30) -> dict:
    return run_js("model_choice.js", f"return m.chooseModel({json.dumps(measured)}, "
                                     f"{json.dumps(LABELS)}, {fps});")


@needs_node
def test_auto_starts_on_the_fastest_then_tries_the_most_accurate():
    assert run_js("model_choice.js", "return m.BY_QUERY_QUALITY;") == BY_QUERY_QUALITY
    assert run_js("model_choice.js", "return m.BY_COST;") == BY_COST
    assert run_js("model_choice.js", "return m.START_MODEL;") == "lightning"
    # Lightning runs (and keeps camera rate): Thunder, the most accurate, is tried first.
    assert choose({"lightning": 20.0}) == {"model": "thunder", "done": False, "reason": None}
    # Thunder too slow: BlazePose Full costs less a pose, so it is tried next.
    assert choose({"lightning": 20.0, "thunder": 150.0}) == {
        "model": "blazepose-full", "done": False, "reason": None}


@needs_node
def test_auto_upgrades_to_the_most_accurate_model_that_keeps_camera_rate():
    choice = choose({"lightning": 20.0, "thunder": 22.0})
    assert choice["model"] == "thunder" and choice["done"]
    assert "most accurate" in choice["reason"] and "22 ms" in choice["reason"]
    choice = choose({"lightning": 20.0, "thunder": 150.0, "blazepose-full": 25.0})
    assert choice["model"] == "blazepose-full" and choice["done"]
    assert "MoveNet Thunder took 150 ms" in choice["reason"] and "too slow" in choice["reason"]
    assert "BlazePose Full took 25 ms a pose here" in choice["reason"]
    # A slower camera leaves more time per frame: Thunder keeps 10 fps at 60 ms.
    assert choose({"lightning": 20.0, "thunder": 60.0}, fps=10)["model"] == "thunder"


@needs_node
def test_auto_keeps_lightning_when_the_others_are_too_slow_and_says_why():
    choice = choose({"lightning": 18.0, "thunder": 150.0, "blazepose-full": 37.0})
    assert choice == {"model": "lightning", "done": True, "reason": (
        "MoveNet Thunder took 150 ms a pose and BlazePose Full took 37 ms a pose: too slow for "
        "30 fps here; MoveNet Lightning took 18 ms a pose here")}


@needs_node
def test_a_model_costlier_than_one_already_too_slow_is_not_loaded():
    # Lightning, the cheapest, already too slow: the others cost more a pose everywhere, so
    # neither is loaded and Lightning is kept at once (no trial on a slow device).
    choice = choose({"lightning": 60.0})
    assert choice["model"] == "lightning" and choice["done"]
    assert choice["reason"] == ("the fastest model, though it took 60 ms a pose here, over the "
                                "27 ms that keeps 30 fps; MoveNet Thunder and BlazePose Full, "
                                "which cost more, were not tried")
    # Just over the budget (26.7 ms at 30 fps): told to a tenth, not "27 ms, over the 27 ms".
    assert choose({"lightning": 27.4})["reason"].startswith(
        "the fastest model, though it took 27.4 ms a pose here, over the 26.7 ms that keeps")
    # Measured by name out of Auto's order (BlazePose Full too slow), Thunder is passed over.
    assert choose({"blazepose-full": 60.0}) == {"model": "lightning", "done": False,
                                                "reason": None}
    assert ("BlazePose Full took 60 ms a pose: too slow for 30 fps here; MoveNet Thunder, which "
            "costs more, was not tried") in choose({"blazepose-full": 60.0,
                                                    "lightning": 20.0})["reason"]


# Every way Auto can end (the chosen model last): each kept, too slow, failed or not tried.
ENDINGS = [{"lightning": 20.0, "thunder": 22.0},
           {"lightning": 20.0, "thunder": 150.0, "blazepose-full": 25.0},
           {"lightning": 18.0, "thunder": 150.0, "blazepose-full": 37.0},
           {"lightning": 60.0},
           {"blazepose-full": 60.0, "lightning": 20.0},
           {"blazepose-full": 60.0, "lightning": 60.0},
           {"lightning": 20.0, "thunder": None, "blazepose-full": None},
           {"lightning": 60.0, "thunder": None}]


@needs_node
@pytest.mark.parametrize("measured", ENDINGS, ids=lambda m: json.dumps(m))
def test_the_reason_names_each_model_once(measured):
    """The desktop footer shows the reason whole: on a slow device it read "MoveNet Thunder
    costs more than MoveNet Lightning, BlazePose Full costs more than MoveNet Lightning: too
    slow for 30 fps here; MoveNet Lightning took 68 ms a pose here, the fastest model, over
    the 27 ms that keeps 30 fps too", Lightning three times, on two lines."""
    choice = choose(measured)
    assert choice["done"]
    for label in LABELS.values():
        assert choice["reason"].count(label) <= 1, (label, choice["reason"])
    # what became of the chosen model and of each more accurate one
    for name in BY_QUERY_QUALITY[:BY_QUERY_QUALITY.index(choice["model"]) + 1]:
        ms = measured.get(name, "not tried")
        said = ("not tried" if ms == "not tried" else "could not run here" if ms is None
                else f"took {ms:.0f} ms a pose")
        assert said in choice["reason"], (name, choice["reason"])
        if name != choice["model"]:
            assert LABELS[name] in choice["reason"], (name, choice["reason"])


@needs_node
def test_a_model_whose_trial_failed_is_passed_over():
    assert choose({"lightning": 20.0, "thunder": None})["model"] == "blazepose-full"
    choice = choose({"lightning": 20.0, "thunder": None, "blazepose-full": None})
    assert choice["model"] == "lightning" and choice["done"]
    assert "MoveNet Thunder and BlazePose Full could not run here" in choice["reason"]


@needs_node
def test_a_trial_stops_timing_a_model_no_pool_could_run_at_camera_rate():
    def far(ms, workers, fps=30):
        return run_js("model_choice.js", f"return m.farTooSlow({ms}, {workers}, {fps});")

    def could(ms, workers, fps=30):
        return run_js("model_choice.js", f"return m.poolCouldKeepRate({ms}, {workers}, {fps});")

    # 30 fps: 26.7 ms a pose. Thunder's 150 ms is over twice what two workers could keep.
    assert far(150.0, 2) and not far(100.0, 2) and far(60.0, 1)
    assert not far(150.0, 2, fps=10)
    # Two workers could keep 30 fps only below 53 ms a pose each.
    assert could(50.0, 2) and not could(60.0, 2) and not could(30.0, 1)


@needs_node
def test_frame_timing_quantiles_match_numpy():
    values = np.random.default_rng(5).gamma(2.0, 10.0, 257).round(3)
    out = run_js("frame_timings.js", f"""const t = new m.FrameTimings(1000);
        for (const v of {json.dumps(values.tolist())}) t.add({{infer: v, latency: 2 * v}});
        t.add({{grab: 1.5}});
        return t.summary();""")
    assert out["infer"]["n"] == 257 and out["grab"]["n"] == 1
    assert out["infer"]["p95"] == pytest.approx(np.percentile(values, 95))
    assert out["infer"]["p50"] == pytest.approx(np.median(values))
    assert out["latency"]["mean"] == pytest.approx(2 * values.mean())
    assert "send" not in out  # a stage no frame went through is left out


@needs_node
def test_more_workers_are_kept_only_when_they_estimate_enough_more_poses():
    def pays(alone, together, size=2):
        return run_js("pose_client.js", f"return m.poolPays({alone}, {together}, {size}, 4);")

    # Two workers at once, each as fast as one alone: twice the poses a second.
    assert pays(160.0, 160.0) == {"pays": True, "aloneMs": 40.0, "togetherMs": 20.0}
    # Sharing the cores, each twice as slow: no more poses, only a longer wait for each.
    assert pays(160.0, 320.0) == {"pays": False, "aloneMs": 40.0, "togetherMs": 40.0}
    # 1.2x the poses is the least worth a second worker.
    assert pays(120.0, 200.0)["pays"] and not pays(120.0, 210.0)["pays"]


def live_count(start: int, rates: str, seconds: float, most: int = 2, fps: int = 30) -> dict:
    """WorkerCount fed with poses as a pool delivers them: `rates` is a JS expression of the
    count in use (`n`) and the time (`t`, ms) giving poses a second (0: none, a stall)."""
    return run_js("worker_count.js", f"""
        const c = new m.WorkerCount({most}, {start}, {fps});
        const rateOf = (n, t) => {rates};
        const counts = [];
        let t = 0;
        while (t < {seconds * 1000}) {{
          const rate = rateOf(c.count, t);
          if (rate <= 0) {{ t += 10; continue; }}
          t += 1000 / rate;
          const n = c.pose(t);
          if (!counts.length || counts[counts.length - 1][1] !== n) counts.push([t, n]);
        }}
        return {{count: c.count, trials: c.trials, counts}};""")


@needs_node
def test_the_live_loop_moves_to_two_workers_that_deliver_more_poses():
    # The load's trial kept one worker (a stall during its 4 poses); two deliver 29.5 a second
    # live, one 20: the loop tries two at once and keeps them.
    out = live_count(1, "n === 2 ? 29.5 : 20", 60)
    assert out["count"] == 2
    first = out["trials"][0]
    assert first["count"] == 2 and first["rates"]["1"] == pytest.approx(20, rel=0.1)
    assert first["rates"]["2"] == pytest.approx(29.5, rel=0.1)
    assert first["atMs"] < 6000  # within the first seconds, not after a recheck interval
    # Rechecked from time to time (one worker for a few seconds each), less often each time
    # it confirms two: each trial's one-worker spell is short, and two are kept after each.
    assert all(trial["count"] == 2 for trial in out["trials"])
    gaps = np.diff([trial["atMs"] for trial in out["trials"]])
    assert len(gaps) >= 1 and (gaps[1:] > gaps[:-1]).all()
    ones = [t for t, n in out["counts"] if n == 1]
    assert len(ones) == len(out["trials"])  # the start, then one spell a trial after it


@needs_node
def test_two_workers_that_only_share_the_cores_drop_back_to_one():
    # A busy device: two workers at once deliver no more poses than one (each takes twice as
    # long), so two only lengthen each frame's wait: the first live trial goes back to one.
    out = live_count(2, "n === 2 ? 15.3 : 15", 40)
    assert out["trials"][0]["count"] == 1 and out["count"] == 1
    # 1.05x the poses is the least worth a second worker.
    assert run_js("worker_count.js", "return m.betterCount({1: 20, 2: 21}, 2).count;") == 2
    assert run_js("worker_count.js", "return m.betterCount({1: 20, 2: 20.9}, 2).count;") == 1


@needs_node
def test_a_drop_in_rate_calls_a_trial_before_its_time():
    # Two workers kept; at 20 s the machine gets busy and two deliver 12 where one delivers
    # 13: the drop is seen within seconds, not at the next recheck (minutes later by then).
    out = live_count(1, "t < 20000 ? (n === 2 ? 29 : 20) : (n === 2 ? 12 : 13)", 30)
    assert out["count"] == 1
    late = [trial for trial in out["trials"] if trial["atMs"] > 20000]
    assert late and late[0]["count"] == 1 and late[0]["atMs"] < 26000
    # The same from the two workers the load chose, before any trial: the rate they started
    # at is the one a drop is measured from.
    out = live_count(2, "t < 10000 ? (n === 2 ? 29 : 20) : (n === 2 ? 12 : 13)", 20)
    assert out["count"] == 1
    assert out["trials"][0]["count"] == 1 and 10000 < out["trials"][0]["atMs"] < 16000


@needs_node
def test_a_stall_is_not_counted_against_the_workers():
    # The loop pauses (no pose for 2 s) in the middle of two workers' trial window: the window
    # is measured again, not counted as a slow one, so two are kept.
    out = live_count(1, "(t > 3000 && t < 5000) ? 0 : (n === 2 ? 29 : 20)", 12)
    assert out["trials"][0]["count"] == 2
    assert out["trials"][0]["rates"]["2"] == pytest.approx(29, rel=0.1)
    # Pauses shorter than a stall (Auto timing a model between the loop's poses: 0.3 s in
    # every 0.4 s, here for the first 3 s of two workers' trial) are not counted once the
    # loop says so (interrupt); otherwise they would halve two workers' rate.
    def paused_trial(interrupt: bool) -> dict:
        return run_js("worker_count.js", f"""
            const c = new m.WorkerCount(2, 1, 30);
            let t = 0;
            while (c.count === 1) {{ t += 50; c.pose(t); }}  // one worker, 20 a second
            const trialFrom = t;
            while (!c.trials.length) {{
              if (t - trialFrom < 3000 && t % 400 < 100) {{
                t += 300;
                if ({json.dumps(interrupt)}) c.interrupt();
              }}
              t += 1000 / 29;
              c.pose(t);
            }}
            return c.trials[0];""")

    told, untold = paused_trial(True), paused_trial(False)
    assert told["count"] == 2 and told["rates"]["2"] == pytest.approx(29, rel=0.05)
    assert untold["rates"]["2"] < 0.8 * 29
    # One worker that keeps camera rate is not made to try two; one worker loaded: no trial.
    assert live_count(1, "n === 2 ? 30 : 29.5", 60)["trials"] == []
    assert live_count(1, "20", 60, most=1)["trials"] == []


# --- the loops (Chromium) ---------------------------------------------------------------------

def measure(page, seconds: float = 6.0) -> dict:
    """The page's rates over `seconds`, after its first matches, and its frame timings."""
    wait_for_matches(page, 5)
    page.evaluate("() => window.movemirror.clearFrameTimings()")
    counts = ("() => ({poses: window.movemirror.frames, screen: window.movemirror.screenFrames,"
              " now: performance.now()})")
    before = page.evaluate(counts)
    page.wait_for_timeout(seconds * 1000)
    after = page.evaluate(counts)
    elapsed = (after["now"] - before["now"]) / 1000
    return {"poses": (after["poses"] - before["poses"]) / elapsed,
            "screen": (after["screen"] - before["screen"]) / elapsed,
            "timings": page.evaluate("() => window.movemirror.frameTimings()"),
            "loop": page.evaluate("() => window.movemirror.loop")}



@pytest.mark.browser
@pytest.mark.slow
def test_the_worker_runs_the_model_off_the_page_and_times_each_stage(open_page):
    page, traffic = open_page("/?model=lightning")
    result = measure(page, 4.0)
    assert result["loop"] == "worker"
    # TF.js is not even loaded on the page: the model runs in the worker only.
    assert page.evaluate("() => typeof window.tf") == "undefined"
    timings = result["timings"]
    for stage in ("grab", "wait", "resize", "infer", "transfer", "draw", "send", "latency"):
        assert timings[stage]["n"] > 0, stage
    # Camera to screen includes the model's own time.
    assert timings["latency"]["p50"] > timings["infer"]["p50"]
    assert timings["latencyFrom"] == "capture"  # the camera's own timestamps, not a guess
    # The worker fetched the model itself, and its requests are among those checked.
    assert any(r["url"].endswith("/vendor/models/movenet-lightning.bin")
               for r in traffic.requests)
    traffic.assert_only_keypoints_left()


@pytest.mark.browser
@pytest.mark.slow
def test_drawing_never_waits_for_a_slow_model_in_the_worker(open_page):
    # Thunder is slower than the 30 fps camera here: the old loop drew a frame per pose, the
    # worker loop draws every camera frame while the model runs.
    main, _ = open_page("/?model=thunder&loop=main")
    before = measure(main)
    main.close()
    worker, _ = open_page("/?model=thunder&loop=worker")
    after = measure(worker)
    print("thunder main:", before["poses"], before["screen"], "worker:", after["poses"],
          after["screen"])
    assert before["loop"] == "main" and after["loop"] == "worker"
    assert before["screen"] == pytest.approx(before["poses"], rel=0.25)
    assert after["screen"] > 2 * before["screen"]
    assert after["screen"] > 1.5 * after["poses"]


POSES_AND_TIME = "() => ({poses: window.movemirror.frames, now: performance.now()})"


@pytest.mark.browser
@pytest.mark.slow
def test_the_worker_loop_estimates_as_many_poses_as_the_main_thread(open_page):
    # Both loops at once, in two pages, counted over the same seconds, so that whatever else
    # the machine does slows both alike: measured in turn (4 s each, twice), rounds at load
    # 8-12 ranged 0.75-1.36x, and a loaded run failed at 0.84x: a burst of other work landed
    # on one loop's turns. One worker, as the main thread has one thread for the model: with
    # two the worker page took the larger share of the cores (1.2-1.8x). With the cores free
    # the worker loop is faster (the model never waits for drawing or for the next frame);
    # on a saturated machine the model's CPU share decides both, so this holds the worker
    # loop to "not slower", within the noise of a shared machine.
    main, _ = open_page("/?model=lightning&loop=main")
    worker, _ = open_page("/?model=lightning&loop=worker&workers=1")
    wait_for_matches(main, 5)
    wait_for_matches(worker, 5)
    assert main.evaluate("() => window.movemirror.loop") == "main"
    assert worker.evaluate("() => window.movemirror.loop") == "worker"
    before = [page.evaluate(POSES_AND_TIME) for page in (main, worker)]
    main.wait_for_timeout(8000)
    after = [page.evaluate(POSES_AND_TIME) for page in (main, worker)]
    main_rate, worker_rate = ((a["poses"] - b["poses"]) / (a["now"] - b["now"]) * 1000
                              for a, b in zip(after, before, strict=True))
    print(f"lightning poses/s, both loops at once: main {main_rate:.1f}, "
          f"worker {worker_rate:.1f} ({worker_rate / main_rate:.2f}x)")
    assert worker.evaluate("() => window.movemirror.workers") == 1
    assert worker_rate >= 0.85 * main_rate


# What Auto was doing when the first matches came, and every text the footer showed.
WATCH_AUTO = """
window.__auto = {first: null, footer: []};
const poll = setInterval(() => {
  const s = window.movemirror;
  if (!s || !s.replies) return;
  clearInterval(poll);
  window.__auto.first = {model: s.model, trial: s.modelTrial, trialsDone: s.modelTrials.length,
                         choice: s.modelChoice};
}, 10);
document.addEventListener('DOMContentLoaded', () => {
  const footer = document.querySelector('#stats');
  window.__auto.footer.push(footer.textContent); // the page's scripts showed it as they ran
  new MutationObserver(() => window.__auto.footer.push(footer.textContent))
    .observe(footer, {childList: true, characterData: true, subtree: true});
});
"""


@pytest.mark.browser
@pytest.mark.slow
def test_auto_matches_with_lightning_at_once_then_chooses_by_trials(open_page):
    page, traffic = open_page("/", init_script=WATCH_AUTO)
    wait_for(page, "() => window.__auto.first !== null", timeout=60_000)
    first = page.evaluate("() => window.__auto.first")
    # The first matches come from Lightning, before any background trial finished.
    assert first["model"] == "lightning" and first["trialsDone"] == 0
    # (chosen already only where Lightning itself was too slow: then nothing else is tried)
    assert first["choice"] is None or first["choice"]["trials"] == []
    wait_for(page, "() => window.movemirror.modelChoice !== null", timeout=180_000)
    wait_for(page, "() => document.querySelector('#stats').textContent.includes('chosen')")
    state = page.evaluate("""() => ({model: window.movemirror.model,
        choice: window.movemirror.modelChoice, select: document.querySelector('#model').value,
        footer: window.__auto.footer})""")
    choice, measured = state["choice"], state["choice"]["measured"]
    print("auto:", json.dumps(choice["trials"]), measured)
    expected = next((name for name in BY_QUERY_QUALITY if name in measured
                     and measured[name] is not None and measured[name] <= 0.8 * 1000 / 30),
                    BY_QUERY_QUALITY[-1])
    assert state["model"] == choice["model"] == expected
    assert state["select"] == "auto"
    # Lightning measured as it started; then the more accurate ones, most accurate first,
    # passing over those that cost more than one measured too slow, down to the one kept.
    too_slow = [] if measured["lightning"] <= 0.8 * 1000 / 30 else ["lightning"]
    tried = []
    for name in BY_QUERY_QUALITY[:BY_QUERY_QUALITY.index(expected) + 1]:
        if name == "lightning" or any(BY_COST.index(s) < BY_COST.index(name) for s in too_slow):
            continue
        tried.append(name)
        too_slow.append(name)
    assert [t["model"] for t in choice["trials"]] == tried
    assert set(measured) == {"lightning", *tried}
    for trial in choice["trials"]:
        # Timed with the live loop's poses paused, which went on while the model loaded.
        assert trial["error"] is None and 0 < trial["pausedMs"] < trial["trialMs"]
        assert trial["livePoses"] > 0
    # While it loads, the footer names the model Auto starts on.
    assert state["footer"][0] == "loading MoveNet Lightning…"
    footer = page.text_content("#stats")
    assert f"{LABELS[expected]} (chosen for this device: " in footer
    for name in tried:  # the chosen one may be "it" ("the most accurate model; it took")
        took = f"took {measured[name]:.0f} ms"
        assert (took if name == expected else f"{LABELS[name]} {took}") in footer
    if tried:  # said while trying, never a bare model name only
        assert any(f"MoveNet Lightning; trying {LABELS[tried[0]]}…" in t for t in state["footer"])
    traffic.assert_only_keypoints_left()


@pytest.mark.browser
@pytest.mark.slow
def test_auto_switches_to_a_more_accurate_model_that_keeps_the_camera_rate(open_page):
    # A 1 fps camera leaves 800 ms a pose: Thunder, the most accurate, keeps it on any device
    # that runs the page, so Auto moves the running loop from Lightning to Thunder.
    page, traffic = open_page("/?fps=1", init_script=WATCH_AUTO)
    wait_for(page, "() => window.__auto.first !== null", timeout=60_000)
    assert page.evaluate("() => window.__auto.first.model") == "lightning"
    wait_for(page, "() => window.movemirror.modelChoice !== null", timeout=180_000)
    state = page.evaluate("""() => ({model: window.movemirror.model,
        choice: window.movemirror.modelChoice, replies: window.movemirror.replies,
        frames: window.movemirror.frames, footer: window.__auto.footer})""")
    print("auto at 1 fps:", json.dumps(state["choice"]))
    assert state["model"] == state["choice"]["model"] == "thunder"
    assert [t["model"] for t in state["choice"]["trials"]] == ["thunder"]
    assert any("MoveNet Lightning; trying MoveNet Thunder…" in t for t in state["footer"])
    # The loop runs on, on Thunder's pool: more poses and matches after the switch.
    wait_for(page, f"() => window.movemirror.frames > {state['frames'] + 3}"
                   f" && window.movemirror.replies > {state['replies'] + 3}", timeout=60_000)
    assert page.evaluate("() => window.movemirror.detector.model") == "thunder"
    ms = state["choice"]["measured"]["thunder"]
    wait_for(page, "() => document.querySelector('#stats').textContent.includes('chosen')")
    footer = page.text_content("#stats")
    assert (f"MoveNet Thunder (chosen for this device: the most accurate model; it "
            f"took {ms:.0f} ms a pose here, within the 800 ms that keeps 1 fps)") in footer
    traffic.assert_only_keypoints_left()


@pytest.mark.browser
@pytest.mark.slow
def test_the_worker_runs_the_wasm_threads_asked_for(open_page):
    # TF.js's WASM build caps its threads at half of hardwareConcurrency (it takes each core
    # for two hyper-threads), so on this 2-core machine ?threads=2 used to run 1 thread.
    details = {}
    for threads in (1, 2):
        page, _ = open_page(f"/?model=lightning&workers=1&threads={threads}")
        wait_for_matches(page, 3)
        details[threads] = page.evaluate("() => window.movemirror.backendDetails")
        page.close()
    assert details[1]["backend"] == details[2]["backend"] == "wasm"
    assert details[1]["multithread"] and details[2]["multithread"]
    assert (details[1]["threads"], details[2]["threads"]) == (1, 2)


@pytest.mark.browser
@pytest.mark.slow
def test_the_page_keeps_a_second_worker_only_when_measured_to_pay(open_page):
    # Thunder cannot keep camera rate in one worker here, so the page tries two, running the
    # model in both at once, and keeps them only if they estimate 1.2x the poses of one.
    page, _ = open_page("/?model=thunder&workers=2")
    wait_for_matches(page, 2)
    state = page.evaluate("""() => ({start: window.movemirror.detector.workers,
        trial: window.movemirror.detector.poolTrial,
        msPerRun: window.movemirror.detector.msPerRun})""")
    trial = state["trial"]
    print("pool trial:", state)
    assert trial["size"] == 2 and trial["aloneMs"] > 0 and trial["togetherMs"] > 0
    pays = trial["aloneMs"] >= 1.2 * trial["togetherMs"]
    assert state["start"] == (2 if pays else 1)
    assert state["msPerRun"] == pytest.approx(trial["togetherMs"] if pays else trial["aloneMs"])


LIVE_COUNT = """() => {
  const pool = window.movemirror.detector.estimator;
  return {start: window.movemirror.detector.workers, loaded: pool.workers.length,
          size: pool.size, free: pool.free, shown: window.movemirror.workers,
          trials: pool.countTrials, trying: pool.count.trial?.to ?? null};
}"""


@pytest.mark.browser
@pytest.mark.slow
def test_the_live_loop_runs_the_count_of_workers_that_delivers_more_poses(open_page):
    # Lightning (32-41 ms a pose here, over the 27 ms that keep 30 fps) with two workers
    # loaded: whatever the load's short trial chose, the live loop measures its own poses a
    # second with one and with two and runs the count that delivers more (two only for 1.05x
    # the poses); the footer's count follows.
    page, _ = open_page("/?model=lightning&workers=2")
    wait_for_matches(page, 3)
    page.wait_for_timeout(10_000)
    state = page.evaluate(LIVE_COUNT)
    print("live count:", json.dumps(state))
    assert state["loaded"] == 2 and state["size"] in (1, 2) and state["free"] <= state["size"]
    assert state["shown"] == state["size"]
    for trial in state["trials"]:
        rates = trial["rates"]
        assert set(rates) == {"1", "2"} and min(rates.values()) > 0
        assert trial["count"] == (2 if rates["2"] >= 1.05 * rates["1"] else 1)
    # The count in use: the one on trial, else the last trial's, else the load's.
    kept = state["trials"][-1]["count"] if state["trials"] else state["start"]
    assert state["size"] == (state["trying"] or kept)
    # Starting at one worker, a first trial of two comes within seconds, unless one worker
    # alone keeps camera rate (then two could deliver no more).
    if state["start"] == 1 and not state["trials"] and not state["trying"]:
        assert measure(page, 3.0)["poses"] >= 0.9 * 30, "one worker short of camera rate"
