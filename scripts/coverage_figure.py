"""The README's coverage map (docs/coverage-map.png), from data whose licences allow it:
the bank is COCO-mini's person keypoint annotations (COCO annotations, CC BY 4.0; keypoints
only, no image), the reference the tfjs-models test clip's 120 poses (Apache-2.0).

    .venv/bin/python scripts/coverage_figure.py [../shared/data] [docs/coverage-map.png]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from movemirror.bank import PoseBank
from movemirror.coverage.analysis import analyse
from movemirror.coverage.report import map_png
from movemirror.keypoints import KEYPOINT_NAMES
from movemirror.vectors import pose_problems


def coco_poses(data: Path) -> np.ndarray:
    annotations = json.loads((data / "coco-mini/annotations/person_keypoints_train2017.json")
                             .read_text())["annotations"]
    poses = np.array([a["keypoints"] for a in annotations if a["num_keypoints"] >= 8],
                     np.float32).reshape(-1, 17, 3)
    poses[..., 2] = (poses[..., 2] > 0).astype(np.float32)  # labelled -> seen
    return poses


def clip_poses(data: Path) -> np.ndarray:
    frames = json.loads((data / "tfjs-pose-detection-testdata/pose_1.json").read_text())
    poses = np.array([[[f[name]["x"], f[name]["y"], 1.0] for name in KEYPOINT_NAMES]
                      for f in frames], np.float32)
    return poses


def main() -> None:
    data = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
    out = Path(sys.argv[2] if len(sys.argv) > 2 else "docs/coverage-map.png")
    bank = PoseBank.from_keypoints(coco_poses(data), on_invalid="skip")
    reference = clip_poses(data)
    reference = reference[[p is None for p in pose_problems(reference)]]
    coverage = analyse(bank, reference, map_method="umap")
    out.write_bytes(map_png(coverage))
    print(f"{out}: {len(bank)} COCO poses, {len(reference)} clip poses, "
          f"{coverage.holes.count if coverage.holes else 0} holes")


if __name__ == "__main__":
    main()
