"""`PoseEstimator` and `estimate()`: the poses found in one image."""

from __future__ import annotations

import numbers
import os
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from PIL import Image

from movemirror.arguments import whole_number
from movemirror.errors import ImageError, InvalidArgumentError
from movemirror.keypoints import KEYPOINT_NAMES
from movemirror.pose.blazepose import BlazePose
from movemirror.pose.combine import combine_poses
from movemirror.pose.crops import (
    CROP_KEYPOINT_SCORE,
    CropTransform,
    box_crop,
    full_frame,
    keypoint_box,
)
from movemirror.pose.image import MAX_SIDE, ImageInput, load_image
from movemirror.pose.movenet import MoveNet
from movemirror.pose.multipose import MAX_PEOPLE, MultiPose
from movemirror.pose.posenet import PoseNet
from movemirror.pose.registry import DEFAULT_MODEL, get_spec
from movemirror.pose.session import check_session_device, create_session
from movemirror.pose.single import (
    DEFAULT_MODE,
    estimate_single,
    get_strategy,
    pose_score,
    refine,
)

# Below this pose score (mean keypoint score) a pose is reported as not found. Blank, noise and
# person-free photos score under it; photos of people above it (tests/pose). Each mode has its
# own (single.Strategy.min_pose_score); this is the one-pass modes' and MultiPose's.
DEFAULT_MIN_POSE_SCORE = 0.2
# MultiPose people below this score are not worth refining or reporting.
MIN_PERSON_SCORE = 0.15
# The MoveNet model that finds the body for BlazePose.
SEED_MODEL = "thunder"


@dataclass(frozen=True)
class DetectedPose:
    """One person's pose in the input image's pixels."""

    keypoints: np.ndarray  # (17, 3) float32: x, y in pixels of the input image, score 0..1
    # The pose's score: the mean keypoint score of the MoveNet pose (with BlazePose and the
    # "best" mode: of the MoveNet pose that found the body); MultiPose: its person score.
    score: float
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels
    model: str

    def to_dict(self) -> dict:
        """JSON-ready form (the `movemirror pose --json` schema's `poses` items)."""
        return {
            "score": round(float(self.score), 4),
            "box": [round(float(v), 2) for v in self.box],
            "model": self.model,
            "keypoints": [
                {"name": name, "x": round(float(x), 2), "y": round(float(y), 2),
                 "score": round(float(s), 4)}
                for name, (x, y, s) in zip(KEYPOINT_NAMES, self.keypoints, strict=True)
            ],
        }


class PoseEstimator:
    """Holds one ONNX Runtime session per model used; reuse it across images (and threads).

    model: "lightning", "thunder", "multipose", "posenet", "blazepose-full" or
    "blazepose-heavy". mode: "fast" (one pass over the whole frame), "crop" (MoveNet's crop
    around the body), "accurate" (crop plus mirrored, turned and two-size crops) or "best"
    (accurate combined with BlazePose Heavy; the default). threads: ONNX Runtime threads per session
    (None: all cores; ingestion workers running one estimator per process want 1).
    multipose_side: MultiPose's input, longer side in pixels (TF.js uses 256; 384 finds
    smaller people: COCO OKS AP 0.23 vs 0.20 on coco-mini). device: "cpu" or "cuda" (see
    movemirror.pose.session.choose_device).
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        mode: str = DEFAULT_MODE,
        threads: int | None = None,
        max_side: int = MAX_SIDE,
        multipose_side: int = 384,
        device: str = "cpu",
    ):
        self.spec = get_spec(model)
        self.model = model
        self.mode = mode
        self.strategy = get_strategy(mode)
        # Checked now: ONNX Runtime's bindings would refuse a bad threads only at the first
        # estimate, and a max_side of 0 would shrink every photo to one pixel without a word.
        self.threads = None if threads is None else whole_number(threads, "threads")
        self.max_side = whole_number(max_side, "max_side")
        self.multipose_side = whole_number(multipose_side, "multipose_side")
        self.device = check_session_device(device)  # refused now, not at the first estimate
        self._lock = threading.Lock()
        self._runners: dict[str, object] = {}

    @property
    def min_pose_score(self) -> float:
        """The default threshold below which a pose counts as not found."""
        if self.spec.kind in ("movenet", "blazepose"):
            return self.strategy.min_pose_score
        return DEFAULT_MIN_POSE_SCORE

    def _runner(self, name: str):
        with self._lock:
            if name not in self._runners:
                session = create_session(name, self.threads, self.device)
                spec = get_spec(name)
                if spec.kind == "movenet":
                    self._runners[name] = MoveNet(session, spec.input_size)
                elif spec.kind == "multipose":
                    self._runners[name] = MultiPose(session, self.multipose_side)
                elif spec.kind == "blazepose":
                    self._runners[name] = BlazePose(session)
                else:
                    self._runners[name] = PoseNet(session, spec.input_size)
            return self._runners[name]

    def load(self) -> PoseEstimator:
        """Create the sessions now (they are otherwise made on first use)."""
        self._runner(self.model)
        return self

    def estimate(
        self,
        image: ImageInput,
        *,
        max_people: int = 1,
        min_pose_score: float | None = None,
    ) -> list[DetectedPose]:
        """The poses in `image` (a path, a PIL image or an RGB uint8 array), best first.

        An empty list when nobody is found: no pose scores min_pose_score (None: the mode's
        calibrated threshold, see `min_pose_score`). Raises ImageError for unreadable images.
        """
        max_people = whole_number(max_people, "max_people")
        if min_pose_score is None:
            min_pose_score = self.min_pose_score
        elif (not isinstance(min_pose_score, numbers.Real) or isinstance(min_pose_score, bool)
              or not 0 <= min_pose_score <= 1):  # (NaN too)
            raise InvalidArgumentError("min_pose_score must lie in [0, 1] (a pose's score), "
                                       f"not {min_pose_score!r}")
        loaded = load_image(image, self.max_side)
        found = self._estimate_loaded(loaded.image, min(max_people, MAX_PEOPLE))
        poses = []
        for keypoints, score, box in found:
            if score < min_pose_score:
                continue
            keypoints = keypoints.copy()
            keypoints[:, :2] *= loaded.scale
            box = tuple(float(v * loaded.scale) for v in box)
            poses.append(DetectedPose(keypoints.astype(np.float32), float(score), box, self.model))
        poses.sort(key=lambda p: -p.score)
        return poses[:max_people]

    def follow(self, image: ImageInput,
               previous: list[np.ndarray] | np.ndarray) -> list[DetectedPose]:
        """Each person of the previous frame, found again on the crop their last keypoints
        give (MoveNet's own video tracking): no person detector runs, one crop pass a person.

        previous: each person's (17, 3) keypoints in the input's pixels (a list, an (N, 17, 3)
        array or one (17, 3) pose; PoseError for another shape). Returns one pose per previous
        person, in the same order and unfiltered: a low score says the person was lost.
        Single-person MoveNet and BlazePose models only.
        """
        if self.spec.kind not in ("movenet", "blazepose"):
            raise InvalidArgumentError(f"{self.model} cannot follow people: it has no crop pass")
        # Here, not at the top: movemirror.vectors loads numba, which estimate() never needs.
        from movemirror.vectors import as_pose_batch

        seeds = as_pose_batch(previous)
        loaded = load_image(image, self.max_side)
        poses = []
        for keypoints in seeds:
            seed = keypoints.copy()
            seed[:, :2] /= loaded.scale
            found, score = self._one_person(loaded.image, seed)
            x0, y0, x1, y1 = (float(v * loaded.scale) for v in _box(found))
            found = found.copy()
            found[:, :2] *= loaded.scale
            poses.append(DetectedPose(found.astype(np.float32), float(score), (x0, y0, x1, y1),
                                      self.model))
        return poses

    def estimate_many(
        self,
        images: Iterable[ImageInput],
        *,
        workers: int | None = None,
        max_people: int = 1,
        min_pose_score: float | None = None,
    ) -> Iterator[list[DetectedPose] | ImageError]:
        """estimate() over many images on `workers` threads (default: one per core), in order.

        Unreadable images yield their ImageError instead of raising, so one bad file does not
        stop a batch. Build the estimator with threads=1 so the workers do not compete.
        """

        def one(image: ImageInput) -> list[DetectedPose] | ImageError:
            try:
                return self.estimate(image, max_people=max_people, min_pose_score=min_pose_score)
            except ImageError as error:
                return error

        with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
            yield from pool.map(one, images)

    def _estimate_loaded(self, image: Image.Image, max_people: int) -> list[tuple]:
        kind = self.spec.kind
        if kind == "multipose":
            people = self._runner("multipose").infer(image)
            return [(p.keypoints, p.score, p.box) for p in people[:max_people]]
        if kind == "posenet":
            keypoints = self._posenet(image)
            return [(keypoints, pose_score(keypoints), _box(keypoints))]
        if max_people == 1:
            keypoints, score = self._one_person(image, None)
            return [(keypoints, score, _box(keypoints))]
        # Several people: MultiPose finds them, the single-person model refines each crop.
        people = [
            p for p in self._runner("multipose").infer(image) if p.score >= MIN_PERSON_SCORE
        ]
        out = []
        for person in people[:max_people]:
            keypoints, score = self._one_person(image, person.keypoints)
            out.append((keypoints, score, _box(keypoints)))
        return out

    def _one_person(self, image: Image.Image, seed: np.ndarray | None) -> tuple[np.ndarray, float]:
        """One person's keypoints and pose score, from the whole image or from a MultiPose
        person (`seed`).

        BlazePose models need a body to start from: MoveNet Thunder finds it (in this
        estimator's mode), then BlazePose takes over. The "best" mode combines the MoveNet
        pose with BlazePose's. The pose score is always the MoveNet pose's: it tells people
        from person-free photos far better than BlazePose's visibilities or presence flag,
        which stay high on many photos of nobody (COCO photos without people).
        """
        blazepose = self.spec.kind == "blazepose"
        net = self._runner(SEED_MODEL if blazepose else self.model)
        if seed is None:
            keypoints = estimate_single(net, image, self.strategy)
        else:
            keypoints = refine(net, image, seed, self.strategy)
        score = pose_score(keypoints)
        if blazepose:
            return self._runner(self.model).track(image, keypoints).keypoints, score
        if self.strategy.ensemble:
            second = self._runner(self.strategy.ensemble).track(image, keypoints).keypoints
            return combine_poses(keypoints, second), score
        return keypoints, score

    def _posenet(self, image: Image.Image) -> np.ndarray:
        net = self._runner("posenet")
        keypoints = net.infer(image, full_frame(image.width, image.height))
        if not self.strategy.crop:
            return keypoints
        box = keypoint_box(keypoints, CROP_KEYPOINT_SCORE)
        if box is None:
            return keypoints
        crop: CropTransform = box_crop(box, 1.25)
        return net.infer(image, crop)


def _box(keypoints: np.ndarray) -> tuple[float, float, float, float]:
    box = keypoint_box(keypoints, CROP_KEYPOINT_SCORE)
    if box is None:
        box = keypoint_box(keypoints, -1.0)
    return box  # type: ignore[return-value]


_DEFAULT_ESTIMATORS: dict[tuple[str, str], PoseEstimator] = {}
_DEFAULT_LOCK = threading.Lock()


def default_estimator(model: str = DEFAULT_MODEL, mode: str = DEFAULT_MODE) -> PoseEstimator:
    """A shared estimator per (model, mode), created on first use."""
    get_spec(model), get_strategy(mode)  # named errors, before the cache looks them up
    with _DEFAULT_LOCK:
        key = (model, mode)
        if key not in _DEFAULT_ESTIMATORS:
            _DEFAULT_ESTIMATORS[key] = PoseEstimator(model, mode=mode)
        return _DEFAULT_ESTIMATORS[key]


def estimate(
    image: ImageInput,
    model: str = DEFAULT_MODEL,
    *,
    max_people: int = 1,
    min_pose_score: float | None = None,
    mode: str = DEFAULT_MODE,
) -> list[DetectedPose]:
    """The poses found in `image` (path, PIL image or RGB uint8 array), best first.

    Keypoints are (17, 3) float32 arrays of x, y in pixels of the input image and a score, in
    movemirror.keypoints.KEYPOINT_NAMES order. Returns [] when nobody is found (pose score
    below min_pose_score; None: the mode's calibrated threshold). Raises ImageError naming
    the file for unreadable images and ModelMissingError when the ONNX models have not been
    set up (`make setup-models`).
    """
    return default_estimator(model, mode).estimate(
        image, max_people=max_people, min_pose_score=min_pose_score
    )
