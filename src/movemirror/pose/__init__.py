"""Pose estimation on ONNX Runtime, from the TF.js weights the browser loads (MoveNet
Lightning, Thunder and MultiPose, PoseNet, BlazePose Full and Heavy).

    from movemirror.pose import estimate
    poses = estimate("photo.jpg")            # Thunder in "best" mode (+ BlazePose), one person
    poses[0].keypoints                        # (17, 3) x, y in pixels, score
    estimate("street.jpg", max_people=6)      # MultiPose finds the people, Thunder refines each

Models are converted once by `make setup-models`; registry.py lists them and the default model,
single.py the modes and the default mode.
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
