"""The 2-D map on real poses: poses of one sport lie together on it, by PCA and by UMAP."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from movemirror.coverage.map import fit_map, umap_available
from movemirror.vectors import XY, to_vectors

SPORTS = ("pushup", "jumping_jacks", "golf_swing", "situp")
PER_SPORT = 250


@pytest.fixture(scope="module")
def sports(penn_sample):
    rows = np.concatenate([np.flatnonzero(penn_sample.action == a)[:PER_SPORT] for a in SPORTS])
    return to_vectors(penn_sample.keypoints[rows]), penn_sample.action[rows]


def _same_sport_among_neighbours(xy: np.ndarray, labels: np.ndarray, k: int = 10) -> float:
    d = np.linalg.norm(xy[:, None] - xy[None], axis=2)
    np.fill_diagonal(d, np.inf)
    neighbours = np.argsort(d, axis=1)[:, :k]
    return float((labels[neighbours] == labels[:, None]).mean())


@pytest.mark.parametrize("method", [
    "pca",
    # UMAP's first fit in a process compiles its numba code: about 40 s here.
    pytest.param("umap", marks=[pytest.mark.slow, pytest.mark.skipif(
        not umap_available(), reason="umap-learn (the coverage extra) is not installed")]),
])
def test_poses_of_one_sport_lie_together_on_the_map(sports, method):
    vectors, labels = sports
    pose_map = fit_map(vectors, method, sample=600)
    assert pose_map.method == method
    xy = pose_map.place(vectors)
    assert xy.shape == (len(vectors), 2) and np.isfinite(xy).all()
    chance = 1 / len(SPORTS)
    assert _same_sport_among_neighbours(xy, labels) > 2.5 * chance


def test_pca_places_poses_by_a_projection_that_never_stretches(sports):
    vectors, _ = sports
    pose_map = fit_map(vectors, "pca")
    xy = pose_map.place(vectors).astype(np.float64)
    features = vectors[:, XY].astype(np.float64)
    pairs = np.random.default_rng(0).integers(len(vectors), size=(2000, 2))
    on_map = np.linalg.norm(xy[pairs[:, 0]] - xy[pairs[:, 1]], axis=1)
    in_space = np.linalg.norm(features[pairs[:, 0]] - features[pairs[:, 1]], axis=1)
    assert (on_map <= in_space + 1e-5).all()
    assert xy[:, 0].var() >= xy[:, 1].var()  # the first axis carries the most variance
    np.testing.assert_allclose(pose_map.place(vectors[:5]), xy[:5], atol=1e-5)


@pytest.mark.slow
def test_the_default_method_follows_what_is_installed(sports):
    vectors, _ = sports
    assert fit_map(vectors[:300]).method == ("umap" if umap_available() else "pca")


def test_bad_map_requests_are_refused(sports):
    vectors, _ = sports
    with pytest.raises(ValueError, match="at least 3 poses"):
        fit_map(vectors[:2], "pca")
    with pytest.raises(ValueError, match="umap, pca"):
        fit_map(vectors, "tsne")


@pytest.mark.slow
@pytest.mark.skipif(not umap_available(), reason="umap-learn (the coverage extra) is not installed")
def test_umap_maps_the_smallest_bank_coverage_takes(sports):
    vectors, _ = sports
    three = vectors[[0, PER_SPORT, 2 * PER_SPORT]]  # three poses of three sports
    pose_map = fit_map(three, "umap")
    xy = pose_map.place(vectors[:5])
    assert pose_map.method == "umap" and xy.shape == (5, 2) and np.isfinite(xy).all()


def test_without_umap_the_map_falls_back_to_pca(sports, monkeypatch):
    vectors, _ = sports
    monkeypatch.setitem(sys.modules, "umap", None)  # as where umap-learn is not installed
    assert not umap_available()
    assert fit_map(vectors[:300]).method == "pca"


def test_folding_makes_a_pose_and_its_mirror_image_one_pose(penn_sample):
    from movemirror.coverage.map import fold_mirrored
    from movemirror.keypoints import mirror_keypoints

    poses = penn_sample.keypoints[::40]
    mirrored = mirror_keypoints(poses)
    folded, folded_mirrored = to_vectors(fold_mirrored(poses)), to_vectors(
        fold_mirrored(mirrored))
    plain, plain_mirrored = to_vectors(poses), to_vectors(mirrored)
    same = np.linalg.norm(folded - folded_mirrored, axis=1) < 1e-4
    apart = np.linalg.norm(plain - plain_mirrored, axis=1) > 1e-2
    assert apart.mean() > 0.9  # mirror images are different poses ...
    assert same.mean() > 0.97  # ... folded into one (a pose leaning neither way may differ)
    # folding only ever replaces a pose by its mirror image
    assert np.allclose(np.minimum(np.linalg.norm(folded - plain, axis=1),
                                  np.linalg.norm(folded - plain_mirrored, axis=1)), 0, atol=1e-5)


def test_coverage_with_mirror_puts_mirror_images_on_one_place(penn_sample):
    from movemirror.bank import PoseBank
    from movemirror.coverage.analysis import analyse
    from movemirror.keypoints import mirror_keypoints

    poses = penn_sample.keypoints[::60][:300]
    n = len(poses)
    bank = PoseBank.from_keypoints(np.concatenate([poses, mirror_keypoints(poses, 1000.0)]))
    spread = {}
    for mirror in (False, True):
        result = analyse(bank, mirror=mirror, map_method="pca")
        assert len(result.drawn) == 2 * n  # every pose drawn, in the bank's order
        xy = result.drawn_xy
        spread[mirror] = float(np.median(np.linalg.norm(xy[:n] - xy[n:], axis=1)))
    assert spread[True] < 0.05 * spread[False], spread


def test_coverage_refuses_reference_poses_of_another_shape_not_reshaped(penn_sample):
    # analyse once reshaped any reference to (R, 17, 3): poses given channels first (R, 3, 17)
    # became scrambled poses without a word, and (R, 17, 2) failed with numpy's ValueError.
    from movemirror.bank import PoseBank
    from movemirror.coverage.analysis import analyse
    from movemirror.errors import PoseError

    bank = PoseBank.from_keypoints(penn_sample.keypoints[:60])
    reference = penn_sample.keypoints[1000:1006]
    channels_first = np.ascontiguousarray(reference.transpose(0, 2, 1))
    with pytest.raises(PoseError, match=r"got shape \(6, 3, 17\)"):
        analyse(bank, channels_first, map_method="pca")
    with pytest.raises(PoseError, match=r"got shape \(6, 17, 2\)"):
        analyse(bank, reference[..., :2], map_method="pca")
    one = analyse(bank, reference[0], map_method="pca")  # one pose (17, 3) is a set of one
    assert one.reference.shape == (1, 17, 3) and one.holes.nearest.shape == (1,)


@pytest.mark.parametrize("options, error, problem", [
    ({"mirror": "no"}, "InvalidArgumentError", "mirror must be True or False, not 'no'"),
    ({"sample": 0}, "InvalidArgumentError", "sample must be at least 3, not 0"),
    ({"metric": "likeness"}, "UnknownMetricError", "coverage takes cosine or weighted, not "
                                                   "'likeness'"),
])
def test_coverage_names_an_option_it_cannot_take(penn_sample, options, error, problem):
    # analyse once took mirror="no" as a yes (a string is true) unless a reference's search
    # refused it, drew a map of NaN from
    # sample=0, and measured holes by a metric whose vectors the map and crowds do not use
    # (the command line refused it; Python did not).
    from movemirror import errors
    from movemirror.bank import PoseBank
    from movemirror.coverage.analysis import analyse

    bank = PoseBank.from_keypoints(penn_sample.keypoints[:60])
    with pytest.raises(getattr(errors, error), match=problem):
        analyse(bank, map_method="pca", **options)
