"""The metric registry: one check, and properties that hold on real poses."""

import numpy as np
import pytest

from movemirror.bank import PoseBank
from movemirror.distances import METRICS, VALID_METRICS, check_metric, distance, pair_distance
from movemirror.errors import UnknownIndexError, UnknownMetricError
from movemirror.index import INDEX_KINDS, build_index, check_index
from movemirror.vectors import to_vectors


@pytest.fixture(scope="module")
def poses(penn_valid):
    poses, _ = penn_valid
    return poses[np.random.default_rng(0).choice(len(poses), 60, replace=False)]


@pytest.fixture(scope="module")
def vectors(poses):
    return to_vectors(poses)


def test_unknown_names_are_refused_the_same_way_everywhere(vectors):
    with pytest.raises(UnknownMetricError, match="unknown metric 'l2'; choose one of cosine"):
        check_metric("l2")
    with pytest.raises(UnknownMetricError, match="unknown metric 'l2'"):
        distance(vectors[:1], vectors, "l2")
    for kind in INDEX_KINDS:
        with pytest.raises(UnknownMetricError, match="unknown metric 'l2'"):
            build_index(vectors, "l2", kind)
    with pytest.raises(UnknownIndexError, match="unknown index 'kd'; choose one of brute"):
        check_index("kd")
    with pytest.raises(UnknownIndexError):
        PoseBank.from_keypoints(np.empty((0, 17, 3)), index="kd").index("cosine")


def test_the_registry_names_its_functions_and_defaults():
    assert METRICS == ("cosine", "weighted", "torso")
    assert all(check_metric(name).name == name for name in METRICS)


@pytest.mark.parametrize("name", METRICS)
def test_declared_properties_hold_on_real_poses(poses, name):
    metric = VALID_METRICS[name]
    vectors = metric.vectorise(poses)
    d = distance(vectors, vectors, name)
    assert np.isfinite(d).all()
    assert d.shape == (len(vectors), len(vectors))
    assert np.allclose(np.diag(d), 0, atol=1e-6)
    assert np.allclose(d, d.T, atol=1e-6) == metric.symmetric
    # d(a, c) <= d(a, b) + d(b, c) over every triple
    violated = (d[:, None, :] > d[:, :, None] + d[None, :, :] + 1e-6).any()
    assert violated != metric.triangle


@pytest.mark.parametrize("name", METRICS)
def test_the_compiled_pair_kernel_computes_the_registered_distance(poses, name):
    metric = VALID_METRICS[name]
    vectors = metric.vectorise(poses)
    d = distance(vectors[:10], vectors, name)
    pairs = np.array([[pair_distance(q, b, metric.kernel) for b in vectors] for q in vectors[:10]])
    np.testing.assert_allclose(pairs, d, atol=1e-6)
    assert np.all(pairs[np.arange(10), np.arange(10)] == 0.0)


def test_the_cli_refuses_unknown_names_listing_the_registry_s(tmp_path):
    # In the command line's words (tests/cli/test_choice_errors.py), the names the library's.
    from typer.testing import CliRunner

    from movemirror.cli.main import app

    runner = CliRunner()
    pose = tmp_path / "pose.json"
    pose.write_text("[]")
    result = runner.invoke(app, ["search", "--bank", str(tmp_path), str(pose), "--metric", "l2"])
    assert result.exit_code == 2
    assert "--metric takes cosine, weighted, torso or likeness, not 'l2'" in result.output
    result = runner.invoke(app, ["serve", "--bank", str(tmp_path), "--index", "kd"])
    assert result.exit_code == 2
    assert "--index takes brute, boxtree, boxtree-approx or vptree, not 'kd'" in result.output
