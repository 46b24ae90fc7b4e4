"""Crowds of near-identical poses on real poses: Penn Action's consecutive frames crowd, and a
sample of one frame per clip hardly does."""

from __future__ import annotations

import numpy as np

from movemirror.coverage.clusters import kmeans, medoid
from movemirror.coverage.crowds import find_crowds
from movemirror.distances import cosine_distance
from movemirror.vectors import to_vectors


def test_every_crowd_lies_within_the_threshold_of_its_founder(penn):
    clip = np.flatnonzero(penn.clip == penn.clip[0])
    vectors = to_vectors(penn.keypoints[np.concatenate([clip, clip + len(clip)])])
    crowds = find_crowds(vectors)
    assert crowds.crowds and crowds.examined == len(vectors)
    members = np.concatenate([c.members for c in crowds.crowds])
    assert len(set(members)) == len(members)  # each pose in one crowd at most
    for crowd in crowds.crowds:
        assert crowd.members[0] == crowd.founder and len(crowd.members) >= 5
        spread = cosine_distance(vectors[crowd.founder], vectors[crowd.members])[0]
        assert spread.max() <= crowds.threshold + 1e-4
        assert crowd.share == len(crowd.members) / len(vectors)
    sizes = [len(c.members) for c in crowds.crowds]
    assert sizes == sorted(sizes, reverse=True)
    assert crowds.redundant_share == sum(s - 1 for s in sizes) / len(vectors)


def test_video_frames_crowd_more_than_one_frame_per_clip(penn):
    first_frames = to_vectors(penn.keypoints[penn.frame == 0][:1000])
    video = to_vectors(penn.keypoints[:1000])  # the first clips, every frame
    assert find_crowds(video).redundant_share > 3 * find_crowds(first_frames).redundant_share


def test_a_sample_is_drawn_from_a_large_bank(penn_sample):
    vectors = to_vectors(penn_sample.keypoints[:3000])
    crowds = find_crowds(vectors, sample=500)
    assert crowds.examined == 500
    assert all(c.members.max() < 3000 for c in crowds.crowds)


def test_kmeans_separates_sports_and_the_medoid_is_central(penn_sample):
    rows = np.concatenate([np.flatnonzero(penn_sample.action == a)[:200]
                           for a in ("pushup", "jumping_jacks")])
    xy = to_vectors(penn_sample.keypoints[rows])[:, :34]
    labels = kmeans(xy, 2, seed=1)
    truth = np.repeat([0, 1], 200)
    agreement = max((labels == truth).mean(), (labels != truth).mean())
    assert agreement > 0.9
    centre = medoid(xy)
    total = np.linalg.norm(xy[:, None] - xy[None], axis=2).sum(axis=1)
    assert total[centre] == total.min()
    assert len(kmeans(xy[:3], 10)) == 3 and kmeans(xy[:0], 3).shape == (0,)
