"""The page's map: a new pose placed by its nearest landmarks lands where the map would put
it (checked against PCA, whose transform is exact)."""

from __future__ import annotations

import numpy as np
import pytest

from movemirror.bank import PoseBank
from movemirror.coverage.analysis import analyse
from movemirror.coverage.page_map import page_map, place_by_landmarks
from movemirror.vectors import XY, to_vectors


def test_landmarks_place_a_new_pose_where_the_map_would(penn_sample):
    # PCA's exact transform is known: held-out poses placed by their nearest landmarks land
    # near where the map itself puts them.
    train = np.flatnonzero(penn_sample.train)[:4000]
    test = np.flatnonzero(~penn_sample.train)[:500]
    view = page_map(PoseBank.from_keypoints(penn_sample.keypoints[train]), "pca")
    features = to_vectors(penn_sample.keypoints[test])[:, XY]
    exact = view.model.place(to_vectors(penn_sample.keypoints[test]))
    placed = place_by_landmarks(features, view.features, view.xy[:len(view.features)])
    span = np.ptp(view.xy, axis=0).max()
    errors = np.linalg.norm(placed - exact, axis=1) / span
    # measured: median 3% of the map's span, 90th percentile about 6%; two poses drawn at
    # random lie about 30% apart
    chance = np.linalg.norm(exact - exact[::-1], axis=1) / span
    assert np.median(errors) < 0.05 and np.percentile(errors, 90) < 0.1
    assert np.median(errors) < 0.25 * np.median(chance)


@pytest.mark.parametrize("size", [1200, 6000], ids=["drawn-whole", "sampled"])
def test_the_report_and_the_page_number_the_regions_alike(penn_sample, size):
    # The same bank: region n of the HTML report (analyse) is region n of the page's map,
    # the same medoid and the same poses, whether the bank is drawn whole or sampled.
    bank = PoseBank.from_keypoints(penn_sample.keypoints[:size])
    report = analyse(bank, map_method="pca")
    page = page_map(bank, "pca")
    assert [r.medoid for r in page.regions] == [r.medoid for r in report.regions]
    assert [r.share for r in page.regions] == [r.share for r in report.regions]
    assert [r["number"] for r in page.as_json()["regions"]] == list(
        range(1, len(report.regions) + 1))
    assert sorted(page.drawn.tolist()) == report.drawn.tolist()
