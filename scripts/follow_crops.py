"""Why a followed person's keypoints move away from the every-frame ones (issue 13 §3).

Finding people (`index --detect-every 1`) refines each on a crop made from MultiPose's
keypoints (`refine` in movemirror.pose.single); following (`--detect-every N`) refines each on
the crop made from its last refined pose. This script measures, on the sample videos sampled
every 33 ms (as `bench ingest` does), with Thunder in crop mode:

1. how the two crops differ on the same frame (size, centre, keypoints that shape them);
2. one step on the street video: the every-frame pose of frame t against the pose refined on
   other crops of frame t (the detection crop again, the crop from the same frame's refined
   pose, that crop 1.2x/1.3x the box, the crops of frame t-1's refined pose and of t-1's
   MultiPose keypoints);
3. in the loop: Follower's logic (people found again every 8 frames, at cuts, when someone is
   lost; only people the quality filter keeps are followed) with other crop rules, PCK@0.2
   against the every-frame poses by video;
4. with --truth: both runs against an independent estimate, BlazePose Heavy seeded from
   MultiPose (limbs only: its face points and hips follow other conventions), and against
   pose_1.json on the tfjs clip.

Run from the project root: PYTHONPATH=src .venv/bin/python scripts/follow_crops.py [--truth]
Nothing here changes the pipeline; docs/indexing.md records the figures.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from movemirror.bench.follow_accuracy import pck_of_frames, truth_frames
from movemirror.bench.ingest import sample_videos
from movemirror.ingest.engines.local import make_estimator
from movemirror.ingest.follow import frame_signature, scene_changed
from movemirror.ingest.frames import video_frames
from movemirror.ingest.quality import QualityFilter
from movemirror.ingest.work import VIDEO_MAX_SIDE
from movemirror.pose.combine import LIMB_KEYPOINTS
from movemirror.pose.crops import CROP_KEYPOINT_SCORE, CropTransform, box_crop, keypoint_box
from movemirror.pose.estimator import MIN_PERSON_SCORE, _box
from movemirror.pose.image import load_image
from movemirror.pose.metrics import pck_hits
from movemirror.pose.single import refine

EVERY_MS = 33
DETECT_EVERY = 8
EXPAND = 1.25  # the crop mode's crop side over the box side
TORSO = [5, 6, 11, 12]
quality = QualityFilter()


def crop_of(keypoints, threshold=CROP_KEYPOINT_SCORE, expand=EXPAND) -> CropTransform:
    box = keypoint_box(keypoints, threshold) or keypoint_box(keypoints, CROP_KEYPOINT_SCORE)
    return box_crop(box, expand)


def kept(pose, frame) -> bool:
    return not quality.problem(pose, float(pose[:, 2].mean()), _box(pose),
                               (frame.width, frame.height))


def detect_all(estimator, videos):
    """Per video: (time, frame, [(MultiPose keypoints, refined pose)]) for every sample."""
    net = estimator._runner("thunder")
    out = {}
    for video in videos:
        rows = []
        for t, _, pixels in video_frames(video, EVERY_MS, 0.0, None, VIDEO_MAX_SIDE):
            frame = load_image(pixels).image
            people = [p for p in estimator._runner("multipose").infer(frame)
                      if p.score >= MIN_PERSON_SCORE][:6]
            rows.append((round(t, 3), frame,
                         [(p.keypoints, refine(net, frame, p.keypoints, estimator.strategy))
                          for p in people]))
        out[video] = rows
    return out


def found(persons):
    """What estimate() reports: poses scoring at least 0.2, best first."""
    return sorted((p for p in persons if p[1][:, 2].mean() >= 0.2),
                  key=lambda p: -p[1][:, 2].mean())


def static_difference(detections):
    print("1. the crop from the refined pose against the detection crop, same frame "
          "(kept poses)")
    for video, rows in detections.items():
        size, centre, dropped = [], [], np.zeros(17, int)
        for _, frame, persons in rows:
            for multipose, refined in persons:
                if not kept(refined, frame):
                    continue
                a, b = crop_of(multipose), crop_of(refined)
                size.append(np.log(b.size / a.size))
                centre.append(np.hypot(b.cx - a.cx, b.cy - a.cy) / a.size)
                dropped += (multipose[:, 2] >= CROP_KEYPOINT_SCORE) & (
                    refined[:, 2] < CROP_KEYPOINT_SCORE)
        size, centre = np.array(size), np.array(centre)
        print(f"   {video.name}: {len(size)} poses; log size ratio mean {size.mean():+.3f}, "
              f"|.| median {np.median(np.abs(size)):.3f}, p90 {np.percentile(abs(size), 90):.3f}; "
              f"centre offset / side median {np.median(centre):.3f}, p90 "
              f"{np.percentile(centre, 90):.3f}; keypoints at 0.2 or more in MultiPose's pose "
              f"only, by keypoint: {dropped.tolist()}")


def one_step(estimator, rows):
    net = estimator._runner("thunder")
    tallies: dict[str, list[int]] = {}
    for i in range(1, len(rows)):
        _, frame, persons = rows[i]
        before = rows[i - 1][2]
        for multipose, refined in persons:
            if not kept(refined, frame) or not before:
                continue
            j = int(np.argmin([np.linalg.norm(r[:, :2] - refined[:, :2], axis=1).mean()
                               for _, r in before]))
            crops = {"detection crop again": crop_of(multipose),
                     "crop from the same frame's pose": crop_of(refined),
                     "  the same, 1.2x the box": crop_of(refined, expand=1.2),
                     "  the same, 1.3x the box": crop_of(refined, expand=1.3),
                     "crop from frame t-1's pose (following)": crop_of(before[j][1]),
                     "frame t-1's detection crop": crop_of(before[j][0])}
            truth = refined.copy()
            truth[:, 2] = truth[:, 2] >= 0.3
            for name, crop in crops.items():
                hits, total = pck_hits(net.infer(frame, crop), truth)
                tally = tallies.setdefault(name, [0, 0])
                tally[0] += hits
                tally[1] += total
    print("2. one step on the street video: PCK@0.2 against the every-frame pose")
    for name, (hits, total) in tallies.items():
        print(f"   {name:40s} {hits / total:.3f} ({total} keypoints)")


# In-loop crop rules: start(MultiPose keypoints, refined pose) -> state at a detection;
# crop(state, last pose) -> the next frame's crop.
def _anchored_start(multipose, refined):
    a, b = crop_of(multipose), crop_of(refined)
    return ((a.cx - b.cx) / b.size, (a.cy - b.cy) / b.size, a.size / b.size)


def _anchored(state, pose):
    b = crop_of(pose)
    dx, dy, scale = state
    return CropTransform(b.cx + dx * b.size, b.cy + dy * b.size, b.size * scale)


def _torso_start(multipose, refined):
    return crop_of(multipose), refined[TORSO, :2].mean(axis=0)


def _torso_moved(state, pose):
    crop, torso = state
    dx, dy = pose[TORSO, :2].mean(axis=0) - torso
    return CropTransform(crop.cx + dx, crop.cy + dy, crop.size)


RULES = {
    "the last pose's crop (today)": (lambda m, r: None, lambda s, p: crop_of(p)),
    "the detection crop's offset and scale kept": (_anchored_start, _anchored),
    "the detection crop moved with the torso": (_torso_start, _torso_moved),
    "the detection crop's size kept": (lambda m, r: crop_of(m).size,
                                       lambda s, p: CropTransform(crop_of(p).cx,
                                                                  crop_of(p).cy, s)),
    "the last pose's crop, keypoints >= 0.3": (lambda m, r: None, lambda s, p: crop_of(p, 0.3)),
}


def follow(estimator, rows, rule):
    """Follower.poses' logic with another crop rule: kept poses by frame time."""
    start, crop = rule
    net = estimator._runner("thunder")
    out, previous, signature, since = {}, [], None, 0
    for t, frame, persons in rows:
        now = frame_signature(np.asarray(frame))
        cut = signature is None or scene_changed(signature, now)
        signature, since = now, since + 1
        poses = None
        if not (cut or not previous or since >= DETECT_EVERY):
            followed = [(net.infer(frame, crop(state, pose)), state) for pose, state in previous]
            if all(p[:, 2].mean() >= 0.2 for p, _ in followed):
                previous, poses = followed, [p for p, _ in followed]
        if poses is None:
            since = 0
            people = found(persons)
            previous = [(r, start(m, r)) for m, r in people if kept(r, frame)]
            poses = [r for _, r in people]
        out[t] = [p for p in poses if kept(p, frame)]
    return out


def every_frame(rows):
    return {t: [r for _, r in found(persons) if kept(r, frame)] for t, frame, persons in rows}


def in_loop(estimator, detections):
    print(f"3. following (found again every {DETECT_EVERY} frames) with other crop rules: "
          "PCK@0.2 against the every-frame poses (unmatched poses)")
    results = {}
    for name, rule in RULES.items():
        reference, followed = {}, {}
        for video, rows in detections.items():
            reference |= {(str(video), t): p for t, p in every_frame(rows).items()}
            followed |= {(str(video), t): p for t, p in follow(estimator, rows, rule).items()}
        result = pck_of_frames(reference, followed)
        results[name] = followed
        print(f"   {name:45s} {result['pck']}  " + ", ".join(
            f"{v}: {r['pck']} ({r['unmatched_poses']})" for v, r in result["videos"].items()))
    return results


def against_truth(estimator, detections, followed):
    """Both runs against BlazePose Heavy (limbs) seeded from MultiPose, and pose_1.json."""
    blazepose = estimator._runner("blazepose-heavy")
    print("4. against an independent estimate: PCK@0.2, every frame / followed (today's rule)")
    for video, rows in detections.items():
        tallies = {"every frame": [0, 0], "followed": [0, 0]}
        for t, frame, persons in rows:
            candidates = followed[(str(video), t)]
            for multipose, refined in found(persons):
                if not kept(refined, frame):
                    continue
                truth = blazepose.track(frame, multipose).keypoints.copy()
                truth[:, 2] = truth[:, 2] >= 0.3
                mine = min(candidates, default=None, key=lambda c: np.linalg.norm(
                    c[:, :2] - refined[:, :2], axis=1).mean())
                for name, pose in (("every frame", refined), ("followed", mine)):
                    hits, total = pck_hits(pose, truth, 0.2, LIMB_KEYPOINTS)
                    tallies[name][0] += hits
                    tallies[name][1] += total
        every, ours = (h / n for h, n in tallies.values())
        print(f"   {video.name}: BlazePose Heavy limbs {every:.3f} / {ours:.3f} "
              f"({tallies['followed'][1]} keypoints)")
        truth = truth_frames((str(video), t) for t, _, _ in rows)
        if truth:
            reference = {(str(video), t): p for t, p in every_frame(rows).items()}
            mine = {k: v for k, v in followed.items() if k[0] == str(video)}
            print(f"   {video.name}: pose_1.json {pck_of_frames(truth, reference)['pck']} / "
                  f"{pck_of_frames(truth, mine)['pck']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--truth", action="store_true",
                        help="also score both runs against BlazePose Heavy (minutes more)")
    args = parser.parse_args()
    estimator = make_estimator("thunder", "crop").load()
    started = time.perf_counter()
    detections = detect_all(estimator, sample_videos())
    static_difference(detections)
    street = [rows for video, rows in detections.items() if video.name == "video.avi"]
    if street:
        one_step(estimator, street[0])
    followed = in_loop(estimator, detections)
    if args.truth:
        against_truth(estimator, detections, followed["the last pose's crop (today)"])
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
