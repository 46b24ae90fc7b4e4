"""The query smoothers: the one-euro port equals the page's filter; the consensus ignores an
outlier frame."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest

from movemirror.quality.smoothing import consensus_poses, one_euro_poses, weighted_median
from movemirror.server.files import STATIC_DIR


def _js_filtered(poses: np.ndarray, times: list[float], width: int, height: int) -> np.ndarray:
    script = (f"const m = await import({json.dumps((STATIC_DIR / 'js' / 'one_euro.js').as_uri())});"
              "const f = new m.KeypointsFilter();"
              f"const poses = {json.dumps(poses.tolist())};"
              f"const times = {json.dumps(times)};"
              f"const out = poses.map((p, i) => f.apply(p, {width}, {height}, times[i]));"
              "process.stdout.write(JSON.stringify(out));")
    done = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return np.array(json.loads(done.stdout))


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_one_euro_port_equals_the_pages_filter():
    rng = np.random.default_rng(0)
    frames = 40
    # A person drifting right then jumping, with jitter; uneven frame times, and one repeat.
    drift = np.linspace(0, 200, frames)[:, None]
    poses = np.zeros((frames, 17, 3))
    poses[:, :, 0] = 300 + drift + rng.normal(0, 4, (frames, 17))
    poses[:, :, 1] = 200 + rng.normal(0, 4, (frames, 17))
    poses[25:, :, 1] += 120
    poses[:, :, 2] = rng.uniform(0.2, 1, (frames, 17))
    times = list(np.cumsum(rng.uniform(0.02, 0.05, frames)))
    times[10] = times[9]
    python = one_euro_poses(poses, times, 640, 480)
    js = _js_filtered(poses, times, 640, 480)
    np.testing.assert_allclose(python, js, rtol=1e-12, atol=1e-9)
    # It does smooth: the filtered path jitters less than the raw one.
    assert np.abs(np.diff(python[:20, :, 1], axis=0)).mean() < \
        0.6 * np.abs(np.diff(poses[:20, :, 1], axis=0)).mean()


def test_consensus_ignores_an_outlier_frame():
    steady = np.zeros((5, 17, 3))
    steady[:, :, 0] = np.arange(17) * 10.0
    steady[:, :, 1] = 100.0
    steady[:, :, 2] = 0.8
    poses = steady.copy()
    poses[3, 4] = (900.0, -50.0, 0.9)  # one keypoint flies off in one frame
    poses[2, :, :2] += 1.0  # everything shifts a pixel once
    for window in (3, 5):
        out = consensus_poses(poses, window)
        np.testing.assert_allclose(out[3, 4, :2], steady[3, 4, :2], atol=1.0)
        np.testing.assert_allclose(out[4, 4, :2], steady[4, 4, :2], atol=1.0)
    # A window of one is the raw pose.
    np.testing.assert_array_equal(consensus_poses(poses, 1), poses)
    with pytest.raises(ValueError):
        consensus_poses(poses, 0)


def test_weighted_median_follows_the_scores():
    assert weighted_median(np.array([1.0, 2.0, 50.0]), np.array([1.0, 1.0, 1.0])) == 2.0
    assert weighted_median(np.array([1.0, 2.0, 50.0]), np.array([0.1, 0.1, 1.0])) == 50.0
    assert weighted_median(np.array([3.0, 1.0, 2.0]), np.zeros(3)) == 2.0
