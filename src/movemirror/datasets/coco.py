"""COCO person keypoint annotations (`person_keypoints_*.json`) and their images."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class CocoPerson:
    """One annotated person: keypoints (17, 3) as x, y, v (v = 0 unlabelled, 1, 2 labelled)."""

    keypoints: np.ndarray
    bbox: tuple[float, float, float, float]  # x, y, width, height
    area: float
    iscrowd: bool

    @property
    def num_keypoints(self) -> int:
        return int((self.keypoints[:, 2] > 0).sum())


@dataclass(frozen=True)
class CocoImage:
    image_id: int
    path: Path
    width: int
    height: int
    people: tuple[CocoPerson, ...]


def load_coco_keypoints(annotations: Path, images_dir: Path) -> list[CocoImage]:
    """Every image of the annotation file with its person annotations (possibly none)."""
    data = json.loads(Path(annotations).read_text())
    people: dict[int, list[CocoPerson]] = {}
    for ann in data["annotations"]:
        if ann.get("category_id", 1) != 1:
            continue
        kps = np.asarray(ann["keypoints"], dtype=np.float32).reshape(17, 3)
        people.setdefault(ann["image_id"], []).append(
            CocoPerson(
                keypoints=kps,
                bbox=_xywh(ann["bbox"]),
                area=float(ann["area"]),
                iscrowd=bool(ann.get("iscrowd", 0)),
            )
        )
    return [
        CocoImage(
            image_id=img["id"],
            path=Path(images_dir) / img["file_name"],
            width=int(img["width"]),
            height=int(img["height"]),
            people=tuple(people.get(img["id"], ())),
        )
        for img in data["images"]
    ]


def _xywh(bbox: list) -> tuple[float, float, float, float]:
    x, y, width, height = (float(v) for v in bbox)
    return x, y, width, height
