"""What the stream keeps of a connection for movement search: its last poses sent with
`"motion": true`, keypoints and times only, for as long as the connection lasts."""

from __future__ import annotations

from collections import deque

import numpy as np

from movemirror.vectors import pose_problems

HISTORY_SECONDS = 2.0  # the movement searched: this much of a connection's last poses
MIN_MOVEMENT_SECONDS = 1.0  # no movement match before the poses held span this much


class RecentPoses:
    """A connection's poses of the last HISTORY_SECONDS, oldest first."""

    def __init__(self, seconds: float = HISTORY_SECONDS):
        self.seconds = seconds
        self._poses: deque[tuple[float, np.ndarray]] = deque()

    def add(self, time: float, keypoints: np.ndarray) -> None:
        """A pose seen at time (seconds); a time not after the last one starts over (the
        client's clock was reset)."""
        if self._poses and time <= self._poses[-1][0]:
            self._poses.clear()
        self._poses.append((time, keypoints))
        while time - self._poses[0][0] > self.seconds:
            self._poses.popleft()

    def span(self, until: float | None = None) -> float:
        """Seconds from the oldest pose held to `until` (default: the newest)."""
        if not self._poses:
            return 0.0
        return (self._poses[-1][0] if until is None else until) - self._poses[0][0]

    def movement(self, until: float) -> tuple[np.ndarray, np.ndarray] | None:
        """(poses (T, 17, 3), times (T,)) held up to time `until`, the usable ones (poses a
        search can vectorise), if they span MIN_MOVEMENT_SECONDS; else None."""
        held = [(t, k) for t, k in self._poses if t <= until]
        if len(held) < 2 or held[-1][0] - held[0][0] < MIN_MOVEMENT_SECONDS:
            return None
        times = np.array([t for t, _ in held])
        poses = np.stack([k for _, k in held])
        usable = np.array([problem is None for problem in pose_problems(poses)])
        poses, times = poses[usable], times[usable]
        if len(times) < 2 or times[-1] - times[0] < MIN_MOVEMENT_SECONDS:
            return None
        return poses, times
