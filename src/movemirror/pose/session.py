"""ONNX Runtime sessions for the pose models, on the CPU or a CUDA GPU.

`choose_device` turns `--device auto|cpu|cuda` into the execution providers a session asks
for: the CUDA provider needs both `onnxruntime-gpu` (which lists it among the available
providers) and a CUDA device the driver can see; without either, "auto" falls back to the CPU
and says why, and "cuda" is an error naming what is missing.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

import onnxruntime as ort

from movemirror.errors import DeviceError
from movemirror.pose.registry import model_path

DEVICES = ("auto", "cpu", "cuda")
SESSION_DEVICES = ("cpu", "cuda")  # what a session runs on: choose_device turns "auto" into one
CPU_PROVIDER = "CPUExecutionProvider"
CUDA_PROVIDER = "CUDAExecutionProvider"
_CUDA_LIBRARY = "libcuda.so.1"  # the driver's library: present only where a driver is


@dataclass(frozen=True)
class Device:
    name: str  # "cpu" or "cuda"
    reason: str  # why this one, for the run's report

    @property
    def providers(self) -> list[str]:
        # The CPU provider stays listed after CUDA: ONNX Runtime runs there what CUDA cannot.
        return [CUDA_PROVIDER, CPU_PROVIDER] if self.name == "cuda" else [CPU_PROVIDER]

    def describe(self) -> str:
        return f"{self.name} ({self.reason})"


def choose_device(requested: str = "auto", providers: list[str] | None = None,
                  cuda_devices: int | None = None) -> Device:
    """The device for `--device requested`. providers: ONNX Runtime's available providers
    (None: ask it); cuda_devices: how many CUDA devices the driver reports (None: ask it).
    Raises DeviceError for an unknown name or for "cuda" where CUDA cannot run."""
    if requested not in DEVICES:
        raise DeviceError(f"unknown device {requested!r}; choose one of {', '.join(DEVICES)}")
    if requested == "cpu":
        return Device("cpu", "asked for")
    if providers is None:
        providers = ort.get_available_providers()
    if CUDA_PROVIDER not in providers:
        missing = f"onnxruntime has no {CUDA_PROVIDER}: install onnxruntime-gpu"
    else:
        if cuda_devices is None:
            cuda_devices = cuda_device_count()
        missing = "" if cuda_devices > 0 else "no CUDA device found"
    if not missing:
        return Device("cuda", f"{cuda_devices} CUDA device(s)" if cuda_devices else "asked for")
    if requested == "cuda":
        raise DeviceError(f"--device cuda: {missing}; use --device auto or cpu")
    return Device("cpu", missing)


def cuda_device_count() -> int:
    """CUDA devices the driver reports; 0 without a driver (this reads no GPU library but
    the driver's own, so it costs nothing where there is none)."""
    try:
        cuda = ctypes.CDLL(_CUDA_LIBRARY)
    except OSError:
        return 0
    count = ctypes.c_int(0)
    if cuda.cuInit(0) != 0 or cuda.cuDeviceGetCount(ctypes.byref(count)) != 0:
        return 0
    return count.value


def check_session_device(device) -> str:
    """device, if a session can run on it; DeviceError naming the choices otherwise."""
    if not (isinstance(device, str) and device in SESSION_DEVICES):
        raise DeviceError(f"a session runs on one of {', '.join(SESSION_DEVICES)}, not "
                          f"{device!r} (choose_device turns 'auto' into one)")
    return device


def create_session(model: str, threads: int | None = None,
                   device: str = "cpu") -> ort.InferenceSession:
    """One session on `device` ("cpu" or "cuda", as chosen by choose_device); threads=None lets
    ONNX Runtime use every core (it ignores OMP_NUM_THREADS: only these options count)."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.inter_op_num_threads = 1
    if threads is not None:
        options.intra_op_num_threads = threads
    options.log_severity_level = 3
    providers = Device(check_session_device(device), "").providers
    return ort.InferenceSession(str(model_path(model)), sess_options=options, providers=providers)
