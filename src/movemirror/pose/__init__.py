"""Pose estimation on ONNX Runtime with the same MoveNet/PoseNet weights the browser runs.

    from movemirror.pose import estimate
    poses = estimate("photo.jpg")            # Thunder, accurate mode, one person
    poses[0].keypoints                        # (17, 3) x, y in pixels, score

Models are converted once by `make setup-models`; see registry.py for the list and the default.
"""

from __future__ import annotations

from movemirror.errors import ImageError, ModelMissingError
from movemirror.pose.estimator import (
    DEFAULT_MIN_POSE_SCORE,
    DetectedPose,
    PoseEstimator,
    default_estimator,
    estimate,
)
from movemirror.pose.registry import DEFAULT_MODEL, MODELS, model_path, models_dir
from movemirror.pose.single import DEFAULT_MODE, MODES

__all__ = [
    "DEFAULT_MIN_POSE_SCORE",
    "DEFAULT_MODE",
    "DEFAULT_MODEL",
    "MODELS",
    "MODES",
    "DetectedPose",
    "ImageError",
    "ModelMissingError",
    "PoseEstimator",
    "default_estimator",
    "estimate",
    "model_path",
    "models_dir",
]
