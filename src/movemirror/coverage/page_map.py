"""The coverage map as the page draws it: a sample of the bank's poses on the map, each with
its region, the regions' medoids, and landmarks by which the page places a live pose.

The page cannot run UMAP's transform, so it places a pose as place_by_landmarks does: the
distance-weighted mean position of its nearest landmarks (poses of the map with their
normalised x/y), nearest in the map's own feature space. static/js/coverage.js is the same
rule in JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from movemirror.coverage.analysis import Region, drawn_rows, find_regions
from movemirror.coverage.map import MAP_SAMPLE, PoseMap, fit_map
from movemirror.vectors import XY

LANDMARKS = 1500  # poses of the map the page places a live pose by
PLACE_NEIGHBOURS = 5
SHOWN_MEMBERS = 24  # poses of a region the page shows for a click


@dataclass(frozen=True)
class PageMap:
    method: str
    bank_size: int
    drawn: np.ndarray  # rows of the bank on the map
    xy: np.ndarray  # (D, 2) their positions
    region_of: np.ndarray  # (D,) the number of each one's region in `regions`
    regions: list[Region]  # largest first
    features: np.ndarray  # (L, 34) the normalised x/y of drawn[:L], the landmarks
    model: PoseMap  # the fitted map, for placing poses exactly

    def as_json(self) -> dict:
        landmarks = len(self.features)
        return {
            "method": self.method,
            "bank_size": self.bank_size,
            "points": [[round(float(x), 4), round(float(y), 4), int(r)]
                       for (x, y), r in zip(self.xy, self.region_of, strict=True)],
            "regions": [{"number": n + 1, "medoid": int(r.medoid), "share": r.share,
                         "phrases": list(r.phrases),
                         "x": float(r.position[0]), "y": float(r.position[1])}
                        for n, r in enumerate(self.regions)],
            "landmarks": {"features": np.round(self.features, 4).ravel().tolist(),
                          "count": landmarks, "neighbours": PLACE_NEIGHBOURS},
        }


def page_map(bank, method: str | None = None, sample: int = MAP_SAMPLE, seed: int = 0,
             landmarks: int = LANDMARKS) -> PageMap:
    """The map of a bank for the page (as the report fits it: UMAP where installed)."""
    vectors = np.asarray(bank.vectors)
    pose_map = fit_map(vectors, method, sample, seed)
    drawn = drawn_rows(len(bank), sample, seed)
    xy = pose_map.place(vectors[drawn])
    regions, region_of = find_regions(bank.keypoints, vectors, drawn, xy, seed)
    # the regions found (and numbered) on the rows in order, as the report finds them; then
    # shuffled, so that any prefix of the points is a fair sample to serve as landmarks
    order = np.random.default_rng(seed).permutation(len(drawn))
    drawn, xy, region_of = drawn[order], xy[order], region_of[order]
    features = np.asarray(vectors[drawn[:landmarks]], np.float32)[:, XY]
    return PageMap(pose_map.method, len(bank), drawn, xy, region_of, regions, features,
                   pose_map)


def region_members(bank, view: PageMap, region: int, limit: int = SHOWN_MEMBERS
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Up to `limit` bank rows of a region, nearest its medoid first, with their distance to
    it (Euclidean on the normalised x/y: the chord of Move Mirror's cosine)."""
    if not 0 <= region < len(view.regions):
        raise IndexError(f"no region {region + 1}; the map has {len(view.regions)}")
    rows = view.drawn[view.region_of == region]
    xy = np.asarray(bank.vectors)[:, XY]
    distances = np.linalg.norm(xy[rows] - xy[view.regions[region].medoid], axis=1)
    order = np.argsort(distances, kind="stable")[:limit]
    return rows[order], distances[order]


def place_by_landmarks(features, landmark_features, landmark_xy,
                       neighbours: int = PLACE_NEIGHBOURS) -> np.ndarray:
    """Positions (N, 2) for poses' normalised x/y (N, 34): the mean position of their nearest
    landmarks weighted by 1 / distance (a landmark at distance 0 is the position)."""
    features = np.atleast_2d(np.asarray(features, np.float64))
    landmarks = np.asarray(landmark_features, np.float64)
    distances = np.linalg.norm(features[:, None, :] - landmarks[None], axis=2)
    k = min(neighbours, len(landmarks))
    nearest = np.argsort(distances, axis=1, kind="stable")[:, :k]
    d = np.take_along_axis(distances, nearest, axis=1)
    weights = 1.0 / np.maximum(d, 1e-9)
    xy = np.asarray(landmark_xy, np.float64)[nearest]
    return (weights[..., None] * xy).sum(axis=1) / weights.sum(axis=1, keepdims=True)
