import numpy as np

from movemirror.keypoints import (
    KEYPOINT_INDEX,
    KEYPOINT_NAMES,
    MIRROR_PERMUTATION,
    SKELETON_EDGES,
    mirror_keypoints,
)


def test_schema_is_posenets_order():
    assert len(KEYPOINT_NAMES) == 17
    assert KEYPOINT_NAMES[0] == "nose" and KEYPOINT_NAMES[-1] == "right_ankle"
    assert KEYPOINT_INDEX["left_hip"] == 11


def test_mirror_permutation_swaps_sides_and_is_an_involution():
    for i, j in enumerate(MIRROR_PERMUTATION):
        a, b = KEYPOINT_NAMES[i], KEYPOINT_NAMES[j]
        assert a.replace("left", "right") == b or a.replace("right", "left") == b or a == b
        assert MIRROR_PERMUTATION[j] == i


def test_edges_connect_known_keypoints_and_mirror_onto_edges():
    edges = {frozenset(e) for e in SKELETON_EDGES}
    for a, b in SKELETON_EDGES:
        assert frozenset((MIRROR_PERMUTATION[a], MIRROR_PERMUTATION[b])) in edges


def test_mirror_in_image_coordinates():
    pose = np.zeros((17, 3), np.float32)
    pose[KEYPOINT_INDEX["left_wrist"]] = (10, 20, 0.9)
    mirrored = mirror_keypoints(pose, image_width=100)
    assert tuple(mirrored[KEYPOINT_INDEX["right_wrist"]]) == (90, 20, np.float32(0.9))
    np.testing.assert_array_equal(mirror_keypoints(mirrored, image_width=100), pose)
