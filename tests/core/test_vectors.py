import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from movemirror.distances import cosine_distance, weighted_distance
from movemirror.keypoints import mirror_keypoints
from movemirror.vectors import (
    CONFIDENCE_SUM,
    CONFIDENCES,
    VECTOR_DIM,
    XY,
    PoseError,
    as_pose_array,
    pose_problems,
    to_vectors,
)

coords = st.floats(0, 1000, allow_nan=False, width=32)
scores = st.floats(0.25, 1.0, width=32)


@st.composite
def poses(draw):
    xy = draw(arrays(np.float32, (17, 2), elements=coords))
    s = draw(arrays(np.float32, (17, 1), elements=scores))
    pose = np.concatenate([xy, s], axis=1)
    extent = np.ptp(xy, axis=0).max()
    if extent < 1.0:  # a spread below a pixel is not a pose
        pose[0, :2] += 10.0
        pose[1, :2] -= 10.0
    return pose


@given(poses())
def test_layout_and_norm(pose):
    v = to_vectors(pose)
    assert v.shape == (1, VECTOR_DIM)
    assert np.linalg.norm(v[0, XY]) == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_allclose(v[0, CONFIDENCES], pose[:, 2])
    assert v[0, CONFIDENCE_SUM] == pytest.approx(pose[:, 2].sum(), rel=1e-5)


@given(poses(), st.floats(-500, 500), st.floats(-500, 500), st.floats(0.1, 10))
@settings(max_examples=60)
def test_invariant_to_translation_and_scale(pose, dx, dy, scale):
    moved = pose.copy()
    moved[:, :2] = moved[:, :2] * scale + (dx, dy)
    a, b = to_vectors(pose), to_vectors(moved)
    np.testing.assert_allclose(a[:, XY], b[:, XY], atol=2e-4)
    assert cosine_distance(a, b)[0, 0] < 2e-3
    assert weighted_distance(a, b)[0, 0] < 2e-3


@given(poses(), poses())
def test_distances_are_finite_zero_on_self_and_cosine_symmetric(p, q):
    a, b = to_vectors(p), to_vectors(q)
    for d in (cosine_distance, weighted_distance):
        assert np.isfinite(d(a, b)).all()
        assert d(a, a)[0, 0] == pytest.approx(0.0, abs=1e-3)
    assert cosine_distance(a, b)[0, 0] == pytest.approx(cosine_distance(b, a)[0, 0], abs=1e-6)
    assert 0.0 <= cosine_distance(a, b)[0, 0] <= 2.0


def test_cosine_never_nan_when_rounding_pushes_cos_past_one():
    v = np.zeros((1, VECTOR_DIM), np.float32)
    v[0, XY] = np.float32(1 / np.sqrt(34)) * 1.0000001  # |v| a hair above 1: cos > 1
    d = cosine_distance(v, v)
    assert np.isfinite(d).all() and d[0, 0] < 1e-6


def test_weighted_uses_only_the_query_confidences():
    rng = np.random.default_rng(1)
    p, q = rng.uniform(0, 100, (2, 17, 3)).astype(np.float32)
    p[:, 2] = np.linspace(0.2, 1.0, 17)
    q[:, 2] = 0.3
    a, b = to_vectors(p), to_vectors(q)
    assert weighted_distance(a, b)[0, 0] != pytest.approx(weighted_distance(b, a)[0, 0])
    b_other = b.copy()
    b_other[:, CONFIDENCES] = 0.9
    assert weighted_distance(a, b)[0, 0] == weighted_distance(a, b_other)[0, 0]


def test_mirroring_twice_is_identity_and_mirror_differs():
    rng = np.random.default_rng(2)
    pose = rng.uniform(0, 100, (17, 3)).astype(np.float32)
    pose[:, 2] = 0.9
    once = to_vectors(mirror_keypoints(pose))
    assert cosine_distance(to_vectors(pose), once)[0, 0] > 0.01
    twice = to_vectors(mirror_keypoints(mirror_keypoints(pose)))
    np.testing.assert_allclose(twice, to_vectors(pose), atol=1e-6)


def _pose():
    rng = np.random.default_rng(3)
    pose = rng.uniform(0, 100, (17, 3)).astype(np.float32)
    pose[:, 2] = 0.9
    return pose


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p.__setitem__((4, 0), np.nan), "non-finite"),
        (lambda p: p.__setitem__((4, 1), np.inf), "non-finite"),
        (lambda p: p.__setitem__((slice(None), slice(0, 2)), 42.0), "zero extent"),
        (lambda p: p.__setitem__((slice(3, None), 2), 0.05), "only 3 confident keypoints"),
        (lambda p: p.__setitem__((0, 2), 1.5), "scores must lie in [0, 1]"),
    ],
)
def test_degenerate_poses_are_rejected_with_their_problem(change, message):
    pose = _pose()
    change(pose)
    with pytest.raises(PoseError, match=message.replace("[", r"\[").replace("]", r"\]")):
        to_vectors(pose)


def test_wrong_shape_is_rejected():
    with pytest.raises(PoseError, match="shape"):
        to_vectors(np.zeros((13, 3)))


def test_batch_error_names_the_pose():
    batch = np.stack([_pose(), _pose()])
    batch[1, :, :2] = 7.0
    with pytest.raises(PoseError, match="pose 1: .*zero extent"):
        to_vectors(batch)


def test_real_penn_action_degenerate_poses_are_found(penn):
    problems = pose_problems(penn.keypoints)
    bad = [i for i, p in enumerate(problems) if p]
    # the two annotations with no joint labelled, and ~0.1% with fewer than 5 labelled joints
    assert 2 <= len(bad) < 0.002 * len(penn.keypoints)
    assert ((penn.keypoints[bad, :, 2] > 0).sum(axis=1) < 5).all()
    for i in bad:
        with pytest.raises(PoseError):
            to_vectors(penn.keypoints[i])
    vectors = to_vectors(np.delete(penn.keypoints, bad, axis=0)[::50])
    assert np.isfinite(vectors).all()


def _numpy_vectors(poses: np.ndarray, min_score: float = 0.2) -> np.ndarray:
    """The layout written as whole-array numpy operations: the oracle for the compiled pass."""
    scores = poses[..., 2]
    mask = (scores >= min_score)[..., None]
    lo = np.where(mask, poses[..., :2], np.inf).min(axis=1)
    hi = np.where(mask, poses[..., :2], -np.inf).max(axis=1)
    side = np.max(hi - lo, axis=1)[:, None, None]
    xy = np.clip((poses[..., :2] - lo[:, None, :]) / side, 0.0, (hi - lo)[:, None, :] / side)
    xy = xy.reshape(len(poses), 34).astype(np.float64)
    xy /= np.linalg.norm(xy, axis=1, keepdims=True)
    return np.concatenate([xy.astype(np.float32), scores, scores.sum(axis=1)[:, None]], axis=1)


def test_vectors_are_bitwise_the_numpy_formulation_on_real_poses(penn_valid):
    poses = penn_valid[0][::7]
    np.testing.assert_array_equal(to_vectors(poses), _numpy_vectors(poses))


def test_one_pose_alone_gets_the_vector_it_gets_in_a_batch(penn_valid):
    poses = penn_valid[0][::4001]
    batch = to_vectors(poses)
    for pose, row in zip(poses, batch, strict=True):
        np.testing.assert_array_equal(to_vectors(pose)[0], row)
        assert pose_problems(pose) == [None]


def test_problems_of_a_mixed_batch_name_each_pose():
    good, bad_score, nan = _pose(), _pose(), _pose()
    bad_score[2, 2] = -0.5
    nan[0, 0] = np.nan
    few = _pose()
    few[:, 2] = 0.1
    problems = pose_problems(np.stack([good, bad_score, nan, few]))
    assert problems[0] is None
    assert problems[1] == "keypoint scores must lie in [0, 1]"
    assert problems[2] == "pose has non-finite values (NaN or infinity)"
    assert problems[3] == ("only 0 confident keypoints (score >= 0.2); "
                           "at least 5 are needed")
    assert pose_problems(np.zeros((0, 17, 3))) == []
    assert to_vectors(np.zeros((0, 17, 3))).shape == (0, VECTOR_DIM)


def test_a_float32_pose_is_taken_as_it_is_and_anything_else_as_before(penn_valid):
    # as_pose_array's fast path (one C-contiguous float32 ndarray, (17, 3) or (Q, 17, 3))
    # gives what the general path gives (lists always take it): the same values, shape and
    # dtype, as a view of the input; other arrays and bad shapes go the general way.
    poses = np.ascontiguousarray(penn_valid[0][::20011], dtype=np.float32)
    for taken in (poses[0], poses, poses[:1]):
        fast = as_pose_array(taken)
        general = as_pose_array(taken.tolist())
        assert fast.dtype == general.dtype == np.float32 and fast.flags.c_contiguous
        np.testing.assert_array_equal(fast, general)
        assert fast.shape == general.shape and np.shares_memory(fast, taken)
    for other in (poses[0].astype(np.float64), poses[0].astype(">f4"), poses[:, ::-1][0],
                  poses[::2]):
        np.testing.assert_array_equal(as_pose_array(other), as_pose_array(other.tolist()))
        assert as_pose_array(other).flags.c_contiguous
    for wrong in (poses[0, :, :2], poses[None], poses[0].reshape(3, 17), poses[0].ravel()):
        with pytest.raises(PoseError) as fast_error:
            as_pose_array(np.ascontiguousarray(wrong))
        with pytest.raises(PoseError) as general_error:
            as_pose_array(wrong.tolist())
        assert str(fast_error.value) == str(general_error.value)
