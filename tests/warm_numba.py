"""Compiles movemirror's numba kernels into numba's on-disk cache (cache=True: __pycache__
beside the sources) before the suite runs, in two parts that `make test` runs at once beside
the lint, on the cores it leaves idle. Without it a fresh clone compiles them during the
tests, one core at a time: most in the first test that starts a server (Matcher.warm), the
rest in the test of an index unpickled over read-only arrays (other kernels' signatures) and
in the first index test that builds a vantage-point tree (about 8 s, load 3).

  python tests/warm_numba.py server     a server's warm-up on a small bank of moving poses
  python tests/warm_numba.py read-only  an index unpickled over read-only arrays, searched;
                                        and a vantage-point tree, built and searched

Both use real poses (Penn Action's labels); without the data they say so and do nothing
(the tests then skip, or compile as before)."""

from __future__ import annotations

import pickle
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def penn_poses():
    """Penn Action's poses that can be vectorised, with their clips."""
    from movemirror.datasets.penn_action import load_penn_action
    from movemirror.vectors import pose_problems

    penn = load_penn_action()
    valid = np.array([p is None for p in pose_problems(penn.keypoints)])
    return penn.keypoints[valid], penn.clip[valid]


def server(clips: int = 4, frames: int = 90) -> None:
    """Matcher.warm, as `serve` runs it, on the first clips with `frames` poses as tracks;
    then on the same bank saved and loaded."""
    from movemirror.bank import PoseBank
    from movemirror.server.matcher import Matcher

    keypoints, clip_of = penn_poses()
    chosen = [c for c in np.unique(clip_of) if np.sum(clip_of == c) >= frames][:clips]
    poses = np.concatenate([keypoints[clip_of == c][:frames] for c in chosen])
    meta = {"track": [f"clip-{c}" for c in chosen for _ in range(frames)],
            "frame_time": [i / 30 for _ in chosen for i in range(frames)]}
    bank = PoseBank.from_keypoints(poses, meta=meta)
    Matcher(bank).warm()
    with tempfile.TemporaryDirectory() as scratch:
        bank.save(Path(scratch) / "bank")
        Matcher(PoseBank.load(Path(scratch) / "bank")).warm()


def read_only() -> None:
    """An index's searches over read-only arrays, as tests/index/test_mirror_walk makes it;
    then a vantage-point tree (tests/index, the search benchmark's reference), which no
    server builds unless told to (`serve --index vptree`, whose warm-up compiles it)."""
    from movemirror.index.boxtree import BoxTreeIndex
    from movemirror.index.vptree import VPTreeIndex
    from movemirror.vectors import to_vectors, to_vectors_mirrored

    keypoints, _ = penn_poses()
    index = BoxTreeIndex(to_vectors(keypoints[:3000]), "cosine")
    buffers: list[pickle.PickleBuffer] = []
    data = pickle.dumps(index, protocol=5, buffer_callback=buffers.append)
    copy = pickle.loads(data, buffers=[bytes(b.raw()) for b in buffers])
    poses = np.ascontiguousarray(keypoints[3000:3004])
    plain, flipped = to_vectors_mirrored(poses)
    copy.search_poses(poses, 10)
    copy.search_poses_mirrored(poses, 10)
    copy.search(plain[:1], 10)
    copy.search_mirrored(plain, flipped, 10)
    VPTreeIndex(to_vectors(keypoints[:500]), "cosine").search(plain, 10)  # build and search


PARTS = {"server": server, "read-only": read_only}


def main(part: str) -> int:
    from movemirror.errors import DatasetMissingError

    start = time.perf_counter()
    try:
        PARTS[part]()
    except DatasetMissingError as error:
        print(f"warm_numba {part}: nothing compiled ahead: {error}")
        return 0
    print(f"warm_numba {part}: compiled in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in PARTS:
        sys.exit(f"usage: python {sys.argv[0]} {'|'.join(PARTS)}")
    sys.exit(main(sys.argv[1]))
