"""The Ray engine: the same units of work on a Ray cluster, through Ray Data.

The driver (this process) has already listed the units the ledger lacks; Ray runs them on a
pool of actors, each holding one estimator (one ONNX Runtime session per model, one thread
each; one actor per CPU, or per GPU with --device cuda), and streams the results back, which
the driver commits as the local engine's are. Videos are decoded with PyAV inside the actors;
long ones arrive as several units (time segments), so one film spreads over many actors.

The pool: each pass starts one actor and grows to the planned number while work waits; it
goes down to one when a node leaves, but never shrinks for want of queued work (its actors
would be made again, models and all, moments later). Photos travel a few to a block (one
task on an actor), since each block costs tens of milliseconds of Ray Data's own work next to
a photo's 100-300 ms; video segments go one to a block, first.

Failures: a unit whose work raises is retried (up to `attempts` passes in all) and then
reported like an unreadable file; a unit lost with its node (the actor died, the block was
dropped) simply has no result and runs again in the next pass. The driver keeps the first
result of each unit and commits each pose id once, so nothing is added twice.

The passes run on a thread of the engine's own, which also starts Ray when there is no
cluster to join and stops it when the run has its last result: the run commits and reports
while Ray's daemons stop (1-2 s), and the process waits for them before it exits.

On a small cluster Ray Data's per-operator resource reservation starves an operator of the
CPUs it needs (a 2-CPU map over an actor pool hangs for minutes): it is switched off here, and
a plan that needs more CPUs or GPUs than the cluster has is refused at once.
"""

from __future__ import annotations

import atexit
import gc
import logging
import os
import pickle
import queue
import threading
import time
import warnings
from collections.abc import Callable, Generator, Iterator

from movemirror.errors import ClusterError
from movemirror.ingest.work import Settings, Unit, UnitResult, process_unit
from movemirror.pose.session import CUDA_PROVIDER, DEVICES, Device, choose_device
from movemirror.wording import counted

ATTEMPTS = 3  # passes over the units at most: a unit failing in all of them is reported
# Photos per block (one task on an actor) at most; fewer when there are too few photos to give
# each actor BLOCKS_PER_ACTOR blocks, so that no actor idles long at the end. Video segments
# (seconds of work each) go one to a block.
PHOTOS_PER_BLOCK = 8
BLOCKS_PER_ACTOR = 8
# How long Ray Data may wait for its actors to start before giving up with an error (they
# wait for free CPUs: a cluster busy with other jobs could otherwise hold the run forever).
ACTOR_START_SECONDS = 120.0
# Ray Data shrinks an actor pool whose tasks in flight per actor fall to 0.5; none are ever
# below this.
NEVER_DOWNSCALE = -1.0
INSTALL_HINT = "pip install 'movemirror[cluster]' (make setup installs it)"
# What Ray and Ray Data say on stderr at every run that a user can do nothing with, by the
# logger that says it: notes of the start (ray.init runs on the run's results thread; token
# authentication, a safe default, is on) and of each pass (no progress bars; its end). Ray
# Data's note of a pass's start is switched off in its DataContext. Every other message shows.
QUIET = {
    "ray._private.worker": ("SIGTERM handler is not set",),
    "ray._private.authentication.authentication_token_setup": (
        "Token authentication is enabled for this Ray cluster",),
    "ray.data._internal.progress": ("Progress bars disabled",),
    "ray.data._internal.execution.streaming_executor": ("execution finished in",),
}
# Ray's daemons are started by forking this process: Lance, imported here, warns in each child
# that it is not fork-safe, but the child runs Ray's program at once, never Lance.
LANCE_FORK_WARNING = "lance is not fork-safe"

Process = Callable[[Unit, Settings, object], UnitResult]


class _Quiet(logging.Filter):
    def __init__(self, notes: tuple[str, ...]):
        super().__init__()
        self.notes = notes

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(note in message for note in self.notes)


def quiet_ray() -> None:
    """Drops QUIET's notes at the loggers that make them (once per process)."""
    for name, notes in QUIET.items():
        logger = logging.getLogger(name)
        if not any(isinstance(f, _Quiet) for f in logger.filters):
            logger.addFilter(_Quiet(notes))
    warnings.filterwarnings("ignore", message=LANCE_FORK_WARNING, category=UserWarning)


def import_ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as error:
        raise ClusterError(f"--engine ray needs Ray Data: {INSTALL_HINT}") from error
    return ray


class UnitWorker:
    """A Ray Data actor: one estimator for its life, then blocks of units in, one row of
    pickled result out per unit."""

    def __init__(self, settings: Settings, device: str, process: Process):
        from movemirror.ingest.engines.local import make_estimator

        self.settings = settings
        self.process = process
        self.estimator = make_estimator(settings.model, settings.mode, threads=1,
                                        device=device).load()

    def __call__(self, batch: dict) -> dict:
        results, failures = [], []
        for blob in batch["units"]:
            for unit in pickle.loads(blob):
                try:
                    result, failure = self.process(unit, self.settings, self.estimator), ""
                except Exception as error:  # retried by the driver, then reported
                    result, failure = UnitResult(unit), f"{type(error).__name__}: {error}"
                results.append(pickle.dumps(result))
                failures.append(failure)
        return {"result": results, "failure": failures}


class RayEngine:
    """`--engine ray [--address ADDR]`: without an address Ray starts on this machine."""

    name = "ray"

    def __init__(self, address: str | None = None, workers: int = 0, device: str = "auto",
                 attempts: int = ATTEMPTS, process: Process = process_unit):
        if device not in DEVICES:
            choose_device(device)  # raises the DeviceError naming the choices
        self.address = address
        self.workers = workers
        self.requested_device = device
        self.attempts = attempts
        self.process = process
        self.device: Device | None = None  # chosen when the cluster is known
        self.actors = 0
        self.failed: list[tuple[Unit, str]] = []  # units that failed in every attempt

    def describe(self) -> str:
        where = self.address or "started on this machine"
        device = self.device.describe() if self.device else self.requested_device
        return f"ray ({where}), {counted(self.actors, 'actor')}, device {device}"

    def run(self, units: list[Unit], settings: Settings) -> Iterator[UnitResult]:
        if not units:
            return
        ray = import_ray()
        quiet_ray()
        # After Ray's own exit handler (imported with Ray), so run before it.
        atexit.unregister(_wait_at_exit)
        atexit.register(_wait_at_exit)
        wait_stopped()  # a Ray started here for an earlier run is down first
        results: queue.Queue = queue.Queue()
        stop = threading.Event()
        threading.Thread(target=self._work, args=(ray, units, settings, results, stop),
                         name="ray engine", daemon=True).start()
        try:
            while (item := results.get()) is not _END:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()  # the run stopped early: the engine stops at its next result

    def _work(self, ray, units: list[Unit], settings: Settings, results: queue.Queue,
              stop: threading.Event) -> None:
        """Runs on a thread of its own, which stops the Ray it started once the run has
        its last result: ray.shutdown() takes 1-2 s (its daemons stopped one by one), in
        which the run commits its last results and reports. (Stopped from another thread
        once this one has ended, Ray waits 5 s more.)"""
        global _owner
        started_here = not ray.is_initialized()
        passes = self._passes(ray, units, settings)
        last: object = _END
        try:
            if started_here:
                _owner = threading.current_thread()
                self._connect(ray)
            self._plan(ray.cluster_resources())
            for result in passes:
                results.put(result)
                if stop.is_set():
                    break
        except BaseException as error:  # noqa: BLE001 - raised again in the run's thread
            last = error
        finally:
            passes.close()
            if started_here:
                _stopping.set()  # before the run can end: the process waits for the stop
            results.put(last)
            if started_here:
                # The passes' datasets, kept in reference cycles, are collected while Ray is
                # up: collected after the stop (by the run's thread, at any allocation), a
                # dataset's finaliser called into the stopped Ray, which ended the process.
                gc.collect()
                ray.shutdown()
                _stopping.clear()

    def _connect(self, ray) -> None:
        options = dict(include_dashboard=False, log_to_driver=False, logging_level="warning",
                       configure_logging=False)
        try:
            if self.address:
                ray.init(address=self.address, **options)
            else:
                # Ray started here would send usage statistics to its makers: movemirror
                # makes no network calls at run time (a user's own setting wins).
                os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
                # "local": a Ray of its own, where no address would join any Ray already
                # running on this machine (another user's, another run's).
                ray.init(address="local", num_cpus=self.workers or None, **options)
        except (ConnectionError, RuntimeError, ValueError) as error:
            raise ClusterError(f"cannot reach the Ray cluster at {self.address or 'local'}: "
                               f"{error}") from error

    def _plan(self, resources: dict) -> None:
        cpus, gpus = int(resources.get("CPU", 0)), int(resources.get("GPU", 0))
        self.device = cluster_device(self.requested_device, gpus)
        self.actors = plan_actors(self.workers, cpus, gpus, self.device)

    def _passes(self, ray, units: list[Unit], settings: Settings) -> Generator[UnitResult]:
        todo = {_key(unit): unit for unit in units}
        last_failure: dict[tuple, str] = {}
        for attempt in range(self.attempts):
            if not todo:
                return
            if attempt:
                # The last pass's actors die once the driver drops its references to them,
                # which that pass's dataset keeps in reference cycles until Python's cyclic
                # collector runs: an actor that outlived a lost node held its CPU 15-20 s
                # more, while this pass waited for a CPU to start its first actor on.
                gc.collect()
            try:
                for result, failure in self._one_pass(ray, list(todo.values()), settings):
                    key = _key(result.unit)
                    if key not in todo:
                        continue  # a second result for a unit already done (a retried block)
                    if failure:
                        last_failure[key] = failure
                        continue
                    del todo[key]
                    yield result
            except _lost_work_errors(ray) as error:
                # A node (or an actor's process) died: Ray Data stops the whole pass; what
                # came back is kept and the next pass runs the rest on the nodes left.
                reason = f"{type(error).__name__}: {str(error).splitlines()[0]}"
                for key in todo:
                    last_failure.setdefault(key, reason)
        for key, unit in todo.items():
            reason = last_failure.get(key, "lost on the cluster")
            self.failed.append((unit, reason))
            yield UnitResult(unit, error=f"failed {self.attempts} times: {reason}", retry=True)

    def _map(self, dataset, settings: Settings, gpu: bool):
        from ray.data import ActorPoolStrategy

        return dataset.map_batches(
            UnitWorker, batch_size=1, batch_format="numpy",
            fn_constructor_kwargs={"settings": settings, "device": "cuda" if gpu else "cpu",
                                   "process": self.process},
            # Starting with one: Ray Data waits for every starting actor before the first
            # task, and a pool started full waited, after a lost node, for a CPU still held
            # by the first pass's surviving actor (docs/benchmark-history.md, bench ingest).
            compute=ActorPoolStrategy(min_size=1, max_size=self.actors),
            num_cpus=0 if gpu else 1, num_gpus=1 if gpu else 0,
            max_restarts=0,  # an actor lost with its node is replaced, not waited for
        )

    def _one_pass(self, ray, units: list[Unit], settings: Settings):
        from ray.data import DataContext
        from ray.data.context import AutoscalingConfig

        context = DataContext.get_current()
        context.op_resource_reservation_enabled = False
        # Never shrink the pool for want of queued work: the actor it drops, with its model
        # sessions, is made again moments later when the driver has taken the results.
        context.autoscaling_config = AutoscalingConfig(
            actor_pool_util_downscaling_threshold=NEVER_DOWNSCALE)
        context.max_errored_blocks = -1  # a block lost with its node is retried by the next pass
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        context.execution_options.preserve_order = False
        if hasattr(context, "wait_for_min_actors_s"):
            context.wait_for_min_actors_s = ACTOR_START_SECONDS
        gpu = self.device is not None and self.device.name == "cuda"
        blocks = unit_blocks(units, self.actors)
        dataset = ray.data.from_items([{"units": pickle.dumps(block)} for block in blocks],
                                      override_num_blocks=len(blocks))
        with warnings.catch_warnings():
            # max_restarts has no named parameter yet; Ray's own docs still pass it so.
            warnings.filterwarnings("ignore", message=".*ray_remote_args.*")
            dataset = self._map(dataset, settings, gpu)
        try:
            for row in dataset.iter_rows():
                yield pickle.loads(row["result"]), str(row["failure"])
        except _lost_work_errors(ray):
            raise  # the next pass redoes what was lost
        except Exception as error:
            if _is_start_timeout(error):
                raise ClusterError(
                    f"the Ray cluster did not start {counted(self.actors, 'actor')} within "
                    f"{ACTOR_START_SECONDS:.0f} s: are its CPUs taken by other jobs?") from error
            first_line = (str(error).strip().splitlines() or [""])[0]
            raise ClusterError(f"the run on Ray failed: {type(error).__name__}: "
                               f"{first_line}") from error


_END = object()  # the engine's thread has handed over every result
_owner: threading.Thread | None = None  # the engine's thread that last started Ray here
_stopping = threading.Event()  # set while that thread stops Ray


def wait_stopped() -> float:
    """Waits until a Ray started here by an engine has stopped; the seconds waited."""
    started = time.perf_counter()
    if _owner is not None:
        _owner.join()
    return time.perf_counter() - started


def _wait_at_exit() -> None:
    """At exit, a Ray on its way down stops first (the engine's thread is a daemon, so that
    Ctrl-C during a unit leaves at once, and Ray's own exit handler then stops it)."""
    if _stopping.is_set():
        wait_stopped()


def cluster_device(requested: str, gpus: int) -> Device:
    """The device of the actors: CUDA where the cluster has GPUs (Ray's own count), else CPU.
    Whether each GPU node has onnxruntime-gpu is for its actors to find out."""
    if requested == "cpu":
        return Device("cpu", "asked for")
    if gpus > 0:
        return Device("cuda", f"the cluster has {counted(gpus, 'GPU')}")
    if requested == "cuda":
        raise ClusterError("--device cuda: the Ray cluster has no GPU; use --device auto or cpu")
    return Device("cpu", f"the Ray cluster has no GPU for {CUDA_PROVIDER}")


def plan_actors(workers: int, cpus: int, gpus: int, device: Device) -> int:
    """How many actors the run asks for: `workers`, or one per CPU (per GPU with CUDA).
    Raises ClusterError when the cluster cannot hold them: Ray would wait for ever."""
    have, what = (gpus, "GPU") if device.name == "cuda" else (cpus, "CPU")
    if have < 1:
        raise ClusterError(f"the Ray cluster has no {what} to run actors on")
    if workers > have:
        raise ClusterError(f"the Ray cluster has {counted(have, what)} but --workers {workers} "
                           f"asks for {workers} actors of one {what} each; use --workers {have} "
                           f"or fewer (0: one per {what})")
    return workers or have


def unit_blocks(units: list[Unit], actors: int) -> list[list[Unit]]:
    """The units in blocks, one task each: video segments alone and first, then photos up to
    PHOTOS_PER_BLOCK together, fewer where an actor would get under BLOCKS_PER_ACTOR blocks."""
    photos = [unit for unit in units if unit.kind == "photo"]
    size = max(1, min(PHOTOS_PER_BLOCK, len(photos) // (max(1, actors) * BLOCKS_PER_ACTOR)))
    videos = [[unit] for unit in units if unit.kind != "photo"]  # first: the longest work
    return videos + [photos[i:i + size] for i in range(0, len(photos), size)]


def _lost_work_errors(ray) -> tuple[type[Exception], ...]:
    """Ray's errors for work lost with a node or a process, not raised by the work itself."""
    names = ("ActorDiedError", "ActorUnavailableError", "NodeDiedError", "WorkerCrashedError",
             "ObjectLostError", "OwnerDiedError")
    return tuple(getattr(ray.exceptions, name) for name in names
                 if hasattr(ray.exceptions, name))


def _key(unit: Unit) -> tuple:
    return unit.hash, unit.start


def _is_start_timeout(error: Exception) -> bool:
    return "actor" in str(error).lower() and "timed out" in str(error).lower()
