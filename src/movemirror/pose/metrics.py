"""Accuracy measures: PCK on LSPET-style annotations and COCO's OKS keypoint AP."""

from __future__ import annotations

import numpy as np

from movemirror.keypoints import BODY_KEYPOINTS, KEYPOINT_INDEX

_RS, _LH = KEYPOINT_INDEX["right_shoulder"], KEYPOINT_INDEX["left_hip"]
_LS, _RH = KEYPOINT_INDEX["left_shoulder"], KEYPOINT_INDEX["right_hip"]


def torso_size(truth: np.ndarray) -> float | None:
    """Right shoulder to left hip; the other diagonal where one of those is not annotated."""
    for a, b in ((_RS, _LH), (_LS, _RH)):
        if truth[a, 2] > 0 and truth[b, 2] > 0:
            size = float(np.linalg.norm(truth[a, :2] - truth[b, :2]))
            if size > 0:
                return size
    return None


def pck_hits(
    predicted: np.ndarray | None,
    truth: np.ndarray,
    alpha: float = 0.2,
    joints: tuple[int, ...] = BODY_KEYPOINTS,
) -> tuple[int, int]:
    """(correct, annotated) body joints of one image; a missing pose gets none right.

    A joint is correct when within alpha x torso size of its annotation. Images without a
    torso give (0, 0): they do not count.
    """
    torso = torso_size(truth)
    if torso is None:
        return 0, 0
    idx = [j for j in joints if truth[j, 2] > 0]
    if predicted is None:
        return 0, len(idx)
    dist = np.linalg.norm(predicted[idx, :2] - truth[idx, :2], axis=1)
    return int((dist <= alpha * torso).sum()), len(idx)


# COCO's per-keypoint falloffs (sigmas), in KEYPOINT_NAMES order.
COCO_SIGMAS = np.array(
    [0.26, 0.25, 0.25, 0.35, 0.35, 0.79, 0.79, 0.72, 0.72, 0.62, 0.62, 1.07, 1.07, 0.87, 0.87,
     0.89, 0.89]
) / 10.0


def oks(predicted: np.ndarray, truth: np.ndarray, area: float, bbox=None) -> float:
    """Object keypoint similarity as COCO computes it (cocoeval.computeOks).

    truth: (17, 3) x, y, v. Ground truths without labelled keypoints compare against their
    box grown by its own size, as in COCO.
    """
    variances = (2 * COCO_SIGMAS) ** 2
    labelled = truth[:, 2] > 0
    if labelled.any():
        dx = predicted[:, 0] - truth[:, 0]
        dy = predicted[:, 1] - truth[:, 1]
    else:
        x, y, w, h = bbox
        x0, x1, y0, y1 = x - w, x + 2 * w, y - h, y + 2 * h
        zero = np.zeros(len(predicted))
        dx = np.maximum(zero, x0 - predicted[:, 0]) + np.maximum(zero, predicted[:, 0] - x1)
        dy = np.maximum(zero, y0 - predicted[:, 1]) + np.maximum(zero, predicted[:, 1] - y1)
    e = (dx**2 + dy**2) / variances / (area + np.spacing(1)) / 2
    if labelled.any():
        e = e[labelled]
    return float(np.exp(-e).sum() / e.shape[0])


def coco_keypoint_ap(images: list[tuple[list, list]]) -> dict[str, float]:
    """COCO keypoint AP (maxDets 20, all areas) from per-image (detections, ground truths).

    detections: [(keypoints (17, 3), score)]; ground truths: [CocoPerson]. Follows
    pycocotools' COCOeval for iouType="keypoints": crowd and keypoint-less ground truths are
    ignored, matches are greedy by score, precision is interpolated at 101 recall points.
    """
    thresholds = np.linspace(0.5, 0.95, 10)
    scores_all: list[float] = []
    matched_all: list[np.ndarray] = []
    ignored_all: list[np.ndarray] = []
    num_gt = 0
    for detections, truths in images:
        dets = sorted(detections, key=lambda d: -d[1])[:20]
        gt_ignore = np.array([t.iscrowd or t.num_keypoints == 0 for t in truths], dtype=bool)
        order = np.argsort(gt_ignore, kind="stable")
        truths = [truths[i] for i in order]
        gt_ignore = gt_ignore[order]
        num_gt += int((~gt_ignore).sum())
        ious = np.array(
            [[oks(d[0], t.keypoints, t.area, t.bbox) for t in truths] for d in dets]
        ).reshape(len(dets), len(truths))
        matched = np.zeros((len(thresholds), len(dets)), dtype=bool)
        ignored = np.zeros((len(thresholds), len(dets)), dtype=bool)
        for ti, thr in enumerate(thresholds):
            taken = np.zeros(len(truths), dtype=bool)
            for di in range(len(dets)):
                best, best_iou = -1, min(thr, 1 - 1e-10)
                for gi in range(len(truths)):
                    if taken[gi] and not truths[gi].iscrowd:
                        continue
                    if best > -1 and not gt_ignore[best] and gt_ignore[gi]:
                        break
                    if ious[di, gi] < best_iou:
                        continue
                    best, best_iou = gi, ious[di, gi]
                if best > -1:
                    taken[best] = True
                    matched[ti, di] = True
                    ignored[ti, di] = gt_ignore[best]
        scores_all.extend(d[1] for d in dets)
        matched_all.append(matched)
        ignored_all.append(ignored)
    if num_gt == 0:
        return {"AP": float("nan"), "AP50": float("nan"), "AP75": float("nan")}
    order = np.argsort(-np.array(scores_all), kind="mergesort")
    matched = np.concatenate(matched_all, axis=1)[:, order]
    ignored = np.concatenate(ignored_all, axis=1)[:, order]
    recall_points = np.linspace(0, 1, 101)
    ap = np.zeros(len(thresholds))
    for ti in range(len(thresholds)):
        keep = ~ignored[ti]
        tp = np.cumsum(matched[ti][keep]).astype(float)
        fp = np.cumsum(~matched[ti][keep]).astype(float)
        recall = tp / num_gt
        precision = tp / np.maximum(tp + fp, np.spacing(1))
        for i in range(len(precision) - 1, 0, -1):
            precision[i - 1] = max(precision[i - 1], precision[i])
        idx = np.searchsorted(recall, recall_points, side="left")
        ap[ti] = np.mean([precision[i] if i < len(precision) else 0.0 for i in idx])
    return {"AP": float(ap.mean()), "AP50": float(ap[0]), "AP75": float(ap[5])}
