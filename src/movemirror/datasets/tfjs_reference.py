"""TF.js pose-detection's test clip: `pose_1.mp4` and per-frame reference keypoints.

`pose_1.json` is a list with one dict per frame mapping each COCO keypoint name to {x, y}
in pixels of the 576 x 576 video, as produced by tfjs-models' own MoveNet tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from movemirror.keypoints import KEYPOINT_NAMES

# pose_1.mp4's frame rate: pose_1.json's frame i is the frame shown at i / FPS seconds.
FPS = 30


def load_reference_keypoints(json_path: Path) -> np.ndarray:
    """(frames, 17, 2) float32 x, y per frame, in KEYPOINT_NAMES order."""
    frames = json.loads(Path(json_path).read_text())
    out = np.zeros((len(frames), len(KEYPOINT_NAMES), 2), dtype=np.float32)
    for f, frame in enumerate(frames):
        for k, name in enumerate(KEYPOINT_NAMES):
            out[f, k] = (frame[name]["x"], frame[name]["y"])
    return out


def read_video_frames(video_path: Path) -> list[np.ndarray]:
    """Every frame of a video as an RGB uint8 array (H, W, 3)."""
    import av

    with av.open(str(video_path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
