"""PCK and COCO OKS AP on real annotations."""

from __future__ import annotations

import numpy as np
import pytest

from movemirror.pose.metrics import coco_keypoint_ap, oks, pck_hits, torso_size


@pytest.fixture(scope="module")
def coco(shared):
    from movemirror.datasets.coco import load_coco_keypoints

    root = shared("coco-mini")
    return load_coco_keypoints(root / "annotations" / "person_keypoints_train2017.json",
                               root / "train2017")


def test_lspet_annotations_score_themselves_perfectly(shared):
    from movemirror.datasets.lspet import load_lspet

    samples = load_lspet(shared("lspet"), limit=50)
    for s in samples:
        hits, total = pck_hits(s.joints, s.joints)
        assert hits == total
    torso = [torso_size(s.joints) for s in samples]
    assert sum(t is not None for t in torso) >= 40
    s = next(s for s, t in zip(samples, torso, strict=True) if t)
    moved = s.joints.copy()
    moved[5:, 0] += 0.3 * torso_size(s.joints)  # every body joint too far right
    assert pck_hits(moved, s.joints)[0] == 0
    assert pck_hits(None, s.joints) == (0, int((s.joints[5:, 2] > 0).sum()))


def test_oks_is_one_for_the_annotation_and_falls_with_distance(coco):
    person = next(p for img in coco for p in img.people if p.num_keypoints >= 10)
    assert oks(person.keypoints, person.keypoints, person.area) == pytest.approx(1.0)
    near = person.keypoints.copy()
    near[:, 0] += 5
    far = person.keypoints.copy()
    far[:, 0] += 50
    assert 1.0 > oks(near, person.keypoints, person.area) > oks(far, person.keypoints, person.area)


def test_coco_ap_of_the_annotations_is_one_and_drops_with_misses(coco):
    perfect = [([(p.keypoints, 1.0) for p in img.people if p.num_keypoints], list(img.people))
               for img in coco]
    assert coco_keypoint_ap(perfect)["AP"] == pytest.approx(1.0)
    half = [(dets[::2], truths) for dets, truths in perfect]
    assert 0.2 < coco_keypoint_ap(half)["AP"] < 0.8
    shift = np.array([15.0, 0, 0], np.float32)
    noisy = [([(k + shift, s) for k, s in dets], truths) for dets, truths in perfect]
    assert coco_keypoint_ap(noisy)["AP"] < coco_keypoint_ap(perfect)["AP"]
