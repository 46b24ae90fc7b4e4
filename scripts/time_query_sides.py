"""What each query model costs per pose on one core (docs/match-quality.md, "Fused query
poses"): MoveNet Lightning and Thunder (crop mode, as `single:MODEL:crop`) and BlazePose Full
and Heavy as the page runs them on a still (`page:MODEL:crop`: Lightning's pose, then two
BlazePose passes), on LSPET tuning photos decoded beforehand, the models in turn photo by
photo, each on one thread. A +flip side costs its model twice (plus mirroring the photo), an
ensemble its members' sum. Run it under the bench lock:

    flock /tmp/bench.lock .venv/bin/python scripts/time_query_sides.py [--photos 60]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from PIL import ImageOps

from movemirror.bench.quality_side_poses import page_would_match
from movemirror.datasets import dataset_dir
from movemirror.datasets.lspet import load_lspet
from movemirror.pose import PoseEstimator
from movemirror.pose.blazepose import BlazePose
from movemirror.pose.image import load_image
from movemirror.pose.session import create_session


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    images = [load_image(s.path).image
              for s in load_lspet(dataset_dir("lspet"), limit=args.photos, start=4000)]
    movenet = {m: PoseEstimator(m, mode="crop", threads=1).load()
               for m in ("lightning", "thunder")}
    blazepose = {m: BlazePose(create_session(m, 1)) for m in ("blazepose-full", "blazepose-heavy")}
    seeds = [movenet["lightning"].estimate(im, min_pose_score=0.0) for im in images]
    work = [(im, s[0].keypoints) for im, s in zip(images, seeds, strict=True)
            if s and page_would_match(s[0].keypoints)]
    ms: dict[str, list[float]] = {name: [] for name in (*movenet, *blazepose, "mirror")}
    for _ in range(args.rounds):
        for image, seed in work:
            for name, estimator in movenet.items():
                started = time.perf_counter()
                estimator.estimate(image, min_pose_score=0.0)
                ms[name].append((time.perf_counter() - started) * 1000)
            for name, model in blazepose.items():
                started = time.perf_counter()
                model.track(image, seed)
                ms[name].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            ImageOps.mirror(image)
            ms["mirror"].append((time.perf_counter() - started) * 1000)
    median = {name: float(np.median(values)) for name, values in ms.items()}
    print(f"{len(work)} photos x {args.rounds} rounds, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; median ms per pose, one thread:")
    print(f"  single:lightning:crop {median['lightning']:.1f}")
    print(f"  single:thunder:crop {median['thunder']:.1f}")
    for name in blazepose:
        print(f"  page:{name}:crop {median['lightning'] + median[name]:.1f} "
              f"(Lightning {median['lightning']:.1f} + BlazePose {median[name]:.1f})")
    print(f"  mirroring the photo {median['mirror']:.2f}")


if __name__ == "__main__":
    main()
