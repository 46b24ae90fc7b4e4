import numpy as np

from movemirror.index.recall import recall_at_k


def test_recall_counts_poses_within_the_exact_kth_distance():
    truth = np.array([[0.1, 0.2, 0.3], [0.5, 0.5, 0.6]], np.float32)
    found = np.array([[0.1, 0.2, 0.3], [0.5, 0.6, 0.7]], np.float32)
    assert recall_at_k(found, truth) == 5 / 6


def test_a_tie_at_the_kth_distance_is_a_hit():
    truth = np.array([[0.1, 0.3]], np.float32)
    assert recall_at_k(np.array([[0.1, 0.3 + 1e-7]], np.float32), truth) == 1.0
    assert recall_at_k(np.array([[0.1, 0.31]], np.float32), truth) == 0.5
