"""A server's warm-up compiles each search kernel for one set of argument types.

numba compiles a kernel once per distinct tuple of argument types: a read-only array and a
writeable one, a C and a strided layout, float32 and float64 are different types, and each
costs the whole compile again (tens of seconds for the parallel kernels in a fresh clone).
The count is taken in a fresh interpreter, so other tests' calls do not add to it.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

_WARM_AND_COUNT = """
import json, sys
import numpy as np
from movemirror.bank import PoseBank
from movemirror.index import boxtree, partition
from movemirror.server import create_app
from movemirror import vectors

data = np.load(sys.argv[1])
meta = {"track": [t or None for t in data["track"].tolist()],
        "frame_time": [None if np.isnan(t) else t for t in data["time"].tolist()]}
PoseBank.from_keypoints(data["poses"], meta=meta).save(sys.argv[2])
bank = PoseBank.load(sys.argv[2])  # as a server has it: read-only arrays, mapped
create_app(bank).state.movemirror.matcher.warm()
kernels = {f"boxtree.{name}": getattr(boxtree, name) for name in (
    "_search_few", "_search_few_mirrored", "_search_parallel", "_search_parallel_mirrored",
    "_search_poses", "_search_poses_mirrored")}
kernels["partition._covariance"] = partition._covariance
kernels["vectors.check_and_vectorise"] = vectors.check_and_vectorise
print(json.dumps({"moving": len(bank.motion_index()),
                  **{name: [str(s) for s in k.signatures] for name, k in kernels.items()}}))
"""


def test_a_warm_server_compiles_each_kernel_for_one_set_of_types(penn_valid, tmp_path):
    poses, clips = penn_valid
    # Five whole clips (tracks with frame times, so movement search is warmed too) and
    # stills enough for a tree of many blocks.
    moving = np.isin(clips, np.unique(clips)[:5])
    rows = np.concatenate([np.flatnonzero(moving), np.flatnonzero(~moving)[::40]])
    time = np.where(moving[rows], np.arange(len(rows)) / 30.0, np.nan)
    track = np.where(moving[rows], clips[rows].astype(str), "")
    np.savez(tmp_path / "poses.npz", poses=poses[rows], track=track, time=time)
    done = subprocess.run([sys.executable, "-c", _WARM_AND_COUNT, str(tmp_path / "poses.npz"),
                           str(tmp_path / "bank")], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.splitlines()[-1])
    assert found.pop("moving") > 0
    # Every index (cosine, weighted, torso) and the movement search's axes share one type
    # each; the pose check has two callers' types: the bank's read-only poses and queries.
    most = {name: 2 if name == "vectors.check_and_vectorise" else 1 for name in found}
    assert {name: len(s) for name, s in found.items()} == {
        name: min(most[name], len(s)) for name, s in found.items()}, found
    assert all(found.values()), found  # each was called
