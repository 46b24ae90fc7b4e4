"""ONNX Runtime sessions for the pose models."""

from __future__ import annotations

import onnxruntime as ort

from movemirror.pose.registry import model_path


def create_session(model: str, threads: int | None = None) -> ort.InferenceSession:
    """One CPU session; threads=None lets ONNX Runtime use every core."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.inter_op_num_threads = 1
    if threads is not None:
        options.intra_op_num_threads = threads
    options.log_severity_level = 3
    return ort.InferenceSession(
        str(model_path(model)), sess_options=options, providers=["CPUExecutionProvider"]
    )
