"""The maps learned from the archive's own two estimates (movemirror.quality.learned), on real
LSPET photos estimated by two models, as the archive and the page would estimate them."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import check_grad

from movemirror.distances import cosine_distance
from movemirror.keypoints import mirror_keypoints
from movemirror.quality.learned import (
    LearnedMap,
    LearnedSearch,
    MappedDistance,
    learn_map,
    loss_and_gradient,
    noise_whitening,
    same_person,
    training_vectors,
)
from movemirror.vectors import pose_problems, to_vectors

PHOTOS = 90


@pytest.fixture(scope="module")
def pairs() -> tuple[np.ndarray, np.ndarray]:
    """LSPET photos estimated by Lightning (the query side, where the page would match its
    pose) and Thunder (the archive side), paired by same_person: (N, 17, 3) each."""
    from movemirror.bench.quality_side_poses import page_would_match
    from movemirror.datasets import DatasetMissingError, dataset_dir
    from movemirror.datasets.lspet import load_lspet
    from movemirror.pose import ModelMissingError, PoseEstimator

    try:
        samples = load_lspet(dataset_dir("lspet"), limit=PHOTOS)
        lightning = PoseEstimator("lightning", mode="fast", threads=1)
        thunder = PoseEstimator("thunder", mode="fast", threads=1)
    except (DatasetMissingError, ModelMissingError) as error:
        pytest.skip(str(error))
    queries, archive = [], []
    for sample in samples:
        query = lightning.estimate(sample.path, min_pose_score=0.0)
        entries = [p.keypoints for p in thunder.estimate(sample.path, max_people=3,
                                                         min_pose_score=0.0)]
        if not query or not page_would_match(query[0].keypoints):
            continue
        which = same_person(query[0].keypoints, entries)
        if which is not None and pose_problems(entries[which])[0] is None:
            queries.append(np.asarray(query[0].keypoints, np.float32))
            archive.append(np.asarray(entries[which], np.float32))
    return np.stack(queries), np.stack(archive)


def test_same_person_picks_the_entry_where_the_query_model_saw_the_person(pairs):
    queries, archive = pairs
    assert len(queries) > PHOTOS // 2  # most photos pair up, with no truth used
    pose = archive[0]
    elsewhere = pose.copy()
    elsewhere[:, 0] += 3 * np.ptp(pose[:, 0])  # the same shape, another place in the photo
    assert same_person(queries[0], [elsewhere, pose]) == 1
    assert same_person(queries[0], [pose, elsewhere]) == 0
    assert same_person(queries[0], [elsewhere]) is None
    assert same_person(queries[0], []) is None


def test_noise_whitening_undoes_the_disagreement_it_was_learned_from(pairs):
    q, a = training_vectors(*pairs)
    assert q.shape == a.shape and q.shape[1] == 34
    assert len(q) == 2 * len(pairs[0])  # every pair and its mirror image
    w = noise_whitening(q, a, alpha=1.0)
    assert w.shape == (34, 34) and np.allclose(w, w.T)
    d = q - a
    second = d.T @ d / len(d)
    regularised = second + np.diag(second).mean() * np.eye(34)
    assert np.allclose(w @ regularised @ w, np.eye(34), atol=1e-8)
    # Where the models disagree most, the map shrinks most.
    noisy, steady = np.argmax(np.diag(second)), np.argmin(np.diag(second))
    assert np.linalg.norm(w[:, noisy]) < np.linalg.norm(w[:, steady])
    with pytest.raises(ValueError, match="alpha"):
        noise_whitening(q, a, alpha=0.0)
    with pytest.raises(ValueError, match="paired"):
        noise_whitening(q, a[:-1])


def test_torso_pairs_have_no_face(pairs):
    q, a = training_vectors(*pairs, torso=True, mirror=False)
    assert len(q) <= len(pairs[0])
    assert not q[:, :10].any() and not a[:, :10].any()  # the face's x/y are 0
    w = noise_whitening(q, a)
    assert np.isfinite(w).all()


def test_mapped_distance_is_cosine_under_the_identity_and_unit_length_after_a_map(pairs):
    queries, archive = pairs
    identity = MappedDistance(LearnedMap(np.eye(34)))
    expected = cosine_distance(to_vectors(queries[:10]), to_vectors(archive))
    assert np.allclose(identity(queries[:10], archive), expected, atol=1e-6)
    w = noise_whitening(*training_vectors(queries, archive))
    mapped = LearnedMap(w).apply(to_vectors(archive))
    assert mapped.shape == (len(archive), 34)
    assert np.allclose(np.linalg.norm(mapped, axis=1), 1.0)
    # A pose with no vector is at an infinite distance; the others are finite.
    bad = queries[:2].copy()
    bad[1, :, 2] = 0.0
    d = MappedDistance(LearnedMap(w))(bad, archive)
    assert np.isfinite(d[0]).all() and np.isinf(d[1]).all()


def test_the_contrastive_loss_gradient_is_right_and_learning_lowers_the_loss(pairs):
    q, a = training_vectors(*pairs, mirror=False)
    rng = np.random.default_rng(0)
    start = np.eye(34).ravel() + 0.01 * rng.standard_normal(34 * 34)
    for shape, params, targets in (("full", start, None), ("diagonal", np.ones(34), None),
                                   ("full", start, np.full((len(q), len(q)), 1 / len(q)))):
        def loss(p, shape=shape, targets=targets):
            return loss_and_gradient(p, q, a, 0.1, 0.01, shape, targets)[0]

        def grad(p, shape=shape, targets=targets):
            return loss_and_gradient(p, q, a, 0.1, 0.01, shape, targets)[1]

        scale = np.linalg.norm(grad(params))
        assert check_grad(loss, grad, params, epsilon=1e-6) < 1e-3 * max(scale, 1.0)
    w, (before, after) = learn_map(q, a, temperature=0.1, iterations=30)
    assert w.shape == (34, 34) and after < before
    diagonal, (before, after) = learn_map(q, a, shape="diagonal", neighbours=0.05,
                                          iterations=30)
    assert np.count_nonzero(diagonal - np.diag(np.diag(diagonal))) == 0 and after < before
    with pytest.raises(ValueError, match="shape"):
        learn_map(q, a, shape="banded")


def test_learned_search_finds_each_photos_own_archive_pose(pairs):
    queries, archive = pairs
    search = LearnedSearch.fit(queries, archive)
    rows, mirrored = search.matches(queries, archive, k=5)
    assert rows.shape == mirrored.shape == (len(queries), 5)
    assert ((rows >= -1) & (rows < len(archive))).all()
    # Each query's own photo is, by far, most often its best match (the same person, the
    # same pose, two models).
    own = rows[:, 0] == np.arange(len(queries))
    assert own.mean() > 0.5
    # The mirror image of a query finds the same photos, shown the other way round.
    flipped, flipped_mirrored = search.matches(mirror_keypoints(queries), archive, k=1)
    agree = flipped[:, 0] == rows[:, 0]
    assert agree.mean() > 0.9
    assert (flipped_mirrored[agree, 0] != mirrored[agree, 0]).mean() > 0.9
