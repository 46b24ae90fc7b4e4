"""Linear maps of pose vectors learned from the archive itself, so that search is robust to
the query model's noise, with no ground truth.

Each archive photo can have two estimates: the archive's own (as indexed) and the query
model's (as the page would see that photo); `same_person` pairs them without truth. Two ways
to learn a map W (34 x 34) from those pairs, both applied to both sides, then re-normalised
(Move Mirror's unit x/y vectors) or not (torso vectors):

- `noise_whitening`: W = (S + alpha * mean variance * I)^(-1/2), S the covariance of the
  pairs' differences (the query model's disagreement with the archive's). Distances after W
  discount the directions in which the two models disagree (an unsure ankle moving the whole
  box, a wrist's jitter) in proportion to how much they do. Closed form.
- `learn_map`: W by a softmax (NCA-like) contrastive loss: each photo's query-model vector
  nearer its OWN archive vector than the other photos' (or, with `neighbours`, nearer the
  photos whose archive poses are near its own), at a temperature, plus a pull of W towards the
  identity; L-BFGS (scipy).

Measured by `movemirror bench quality` (metric "learned"; docs/match-quality.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from movemirror.keypoints import mirror_keypoints
from movemirror.torso_vectors import to_torso_vectors, torso_problems
from movemirror.vectors import MIN_SCORE, XY, XY_DIM, pose_problems, to_vectors

SHAPES = ("full", "diagonal")
# An archive entry is the same person as the query model's pose when their keypoints
# confident in both lie within this share of the query pose's box of each other on average.
SAME_PERSON = 0.2


@dataclass(frozen=True)
class LearnedMap:
    """W (34, 34) on the x/y part of pose vectors; `unit`: re-normalise after W (Move
    Mirror's vectors, compared by cosine) or not (torso vectors, compared by L2)."""

    matrix: np.ndarray
    unit: bool = True

    def apply(self, vectors: np.ndarray) -> np.ndarray:
        """Vectors (N, 52) (or their x/y part (N, 34)) -> mapped (N, 34), float64."""
        xy = np.asarray(vectors, np.float64)
        xy = xy[:, XY] if xy.shape[1] != XY_DIM else xy
        mapped = xy @ self.matrix.T
        return _unit(mapped) if self.unit else mapped


@dataclass(frozen=True)
class MappedDistance:
    """A distance between poses through a LearnedMap: the chord between mapped unit Move
    Mirror vectors (box vectors, `torso` False) or the L2 between mapped torso vectors."""

    map: LearnedMap
    torso: bool = False

    def vectors(self, poses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mapped vectors of the usable poses, which poses are usable (N,))."""
        problems = torso_problems(poses) if self.torso else pose_problems(poses)
        usable = np.array([p is None for p in problems], bool)
        if not usable.any():
            return np.empty((0, XY_DIM)), usable
        vectorise = to_torso_vectors if self.torso else to_vectors
        return self.map.apply(vectorise(poses[usable])), usable

    def __call__(self, queries: np.ndarray, archive: np.ndarray) -> np.ndarray:
        """Poses (Q, 17, 3) x (N, 17, 3) -> (Q, N); inf where a pose has no vector."""
        q, q_ok = self.vectors(queries)
        a, a_ok = self.vectors(archive)
        out = np.full((len(queries), len(archive)), np.inf)
        if len(q) and len(a):
            squared = (np.square(q).sum(axis=1)[:, None] + np.square(a).sum(axis=1)[None]
                       - 2.0 * q @ a.T)
            out[np.ix_(q_ok, a_ok)] = np.sqrt(np.maximum(squared, 0.0))
        return out


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def same_person(query_pose: np.ndarray, entries) -> int | None:
    """Which of a photo's archive entries (each (17, 3)) is the person the query model found
    (query_pose (17, 3)): the nearest by mean distance of the keypoints confident in both,
    if within SAME_PERSON of the query pose's box; None if none is. Needs no truth."""
    if len(entries) == 0:
        return None
    entries = np.asarray(entries, np.float64).reshape(-1, *np.shape(query_pose))
    pose = np.asarray(query_pose, np.float64)
    confident = pose[:, 2] >= MIN_SCORE
    if confident.sum() < 2:
        return None
    box = float((pose[confident, :2].max(axis=0) - pose[confident, :2].min(axis=0)).max())
    both = confident[None] & (entries[:, :, 2] >= MIN_SCORE)
    gaps = np.linalg.norm(entries[:, :, :2] - pose[None, :, :2], axis=2)
    mean = np.where(both.any(axis=1),
                    (gaps * both).sum(axis=1) / np.maximum(both.sum(axis=1), 1), np.inf)
    best = int(np.argmin(mean))
    return best if box > 0 and mean[best] <= SAME_PERSON * box else None


def training_vectors(query_poses: np.ndarray, archive_poses: np.ndarray, torso: bool = False,
                     mirror: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Paired poses (N, 17, 3) each (the query model's and the archive's estimate of one
    photo) -> the x/y parts (M, 34) each of the pairs where both have a vector (Move
    Mirror's, or with `torso` torso vectors); with `mirror` the mirror images follow as more
    pairs (a search that also tries the mirrored query sees both)."""
    if mirror:
        query_poses = np.concatenate([query_poses, mirror_keypoints(query_poses)])
        archive_poses = np.concatenate([archive_poses, mirror_keypoints(archive_poses)])
    problems = torso_problems if torso else pose_problems
    usable = np.array([p is None and r is None for p, r in
                       zip(problems(query_poses), problems(archive_poses), strict=True)], bool)
    vectorise = to_torso_vectors if torso else to_vectors
    if not usable.any():
        raise ValueError("no pair of poses has a vector on both sides to learn from")
    return (vectorise(query_poses[usable])[:, XY].astype(np.float64),
            vectorise(archive_poses[usable])[:, XY].astype(np.float64))


def noise_whitening(queries: np.ndarray, archive: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """W (34, 34) = (S + alpha * v * I)^(-1/2) from paired x/y vectors (N, 34) each: S the
    second moment of their differences, v its mean diagonal over the coordinates that vary
    (the torso vectors' face is always 0). Symmetric; alpha > 0 keeps it finite."""
    if alpha <= 0:
        raise ValueError(f"alpha must be above 0, not {alpha}")
    _check_pairs(queries, archive)
    differences = queries - archive
    second = differences.T @ differences / len(differences)
    variances = np.diag(second)
    scale = float(variances[variances > 0].mean()) if (variances > 0).any() else 1.0
    values, vectors = np.linalg.eigh(second + alpha * scale * np.eye(XY_DIM))
    return (vectors * values ** -0.5) @ vectors.T


def _check_pairs(queries: np.ndarray, archive: np.ndarray) -> None:
    if queries.shape != archive.shape or queries.ndim != 2 or queries.shape[1] != XY_DIM:
        raise ValueError(f"expected two (N, {XY_DIM}) arrays of paired vectors, got "
                         f"{queries.shape} and {archive.shape}")


def soft_targets(archive: np.ndarray, neighbours: float) -> np.ndarray | None:
    """Per photo the target distribution over the photos (N, N): its own archive pose's
    neighbours by cosine, softmax over temperature `neighbours` (0: None, the photo itself)."""
    if neighbours <= 0:
        return None
    return _softmax(_unit(archive) @ _unit(archive).T / neighbours)


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _matrix(params: np.ndarray, shape: str) -> np.ndarray:
    return np.diag(params) if shape == "diagonal" else params.reshape(XY_DIM, XY_DIM)


def loss_and_gradient(params: np.ndarray, queries: np.ndarray, archive: np.ndarray,
                      temperature: float, regularisation: float, shape: str = "full",
                      targets: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """The contrastive loss of the map `params` (W's entries, or its diagonal) on paired x/y
    vectors (N, 34) each, and its gradient: mean over photos of the cross-entropy between
    the softmax over the archive vectors of cos(W q, W a) / temperature and the target (the
    photo's own archive vector, or `targets` (N, N)), plus regularisation * |W - I|^2."""
    w = _matrix(params, shape)
    zq, za = queries @ w.T, archive @ w.T
    nq = np.linalg.norm(zq, axis=1, keepdims=True)
    na = np.linalg.norm(za, axis=1, keepdims=True)
    q, a = zq / nq, za / na
    logits = q @ a.T / temperature
    log_p = logits - logits.max(axis=1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
    n = len(queries)
    if targets is None:
        data_loss = -float(np.mean(np.diag(log_p)))
        d_logits = np.exp(log_p)
        d_logits[np.arange(n), np.arange(n)] -= 1.0
    else:
        data_loss = -float(np.sum(targets * log_p)) / n
        d_logits = np.exp(log_p) - targets
    d_logits /= n * temperature
    dq, da = d_logits @ a, d_logits.T @ q
    dzq = (dq - q * (dq * q).sum(axis=1, keepdims=True)) / nq
    dza = (da - a * (da * a).sum(axis=1, keepdims=True)) / na
    dw = dzq.T @ queries + dza.T @ archive
    off = w - np.eye(XY_DIM)
    dw += 2.0 * regularisation * off
    grad = np.diag(dw).copy() if shape == "diagonal" else dw.ravel()
    return data_loss + regularisation * float(np.sum(off * off)), grad


def learn_map(queries: np.ndarray, archive: np.ndarray, temperature: float = 0.05,
              regularisation: float = 1e-2, shape: str = "full", neighbours: float = 0.0,
              iterations: int = 100) -> tuple[np.ndarray, tuple[float, float]]:
    """W (34, 34) learned by the contrastive loss (loss_and_gradient) from paired x/y
    vectors (N, 34) each (training_vectors), starting from the identity: (W, (the loss
    before, after))."""
    from scipy.optimize import minimize

    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {', '.join(SHAPES)}, not {shape!r}")
    _check_pairs(queries, archive)
    start = np.ones(XY_DIM) if shape == "diagonal" else np.eye(XY_DIM).ravel()
    targets = soft_targets(archive, neighbours)
    args = (queries, archive, temperature, regularisation, shape, targets)
    before = loss_and_gradient(start, *args)[0]
    found = minimize(loss_and_gradient, start, args=args, jac=True, method="L-BFGS-B",
                     options={"maxiter": iterations})
    return _matrix(found.x, shape), (before, float(found.fun))


# Chosen on LSPET's tuning queries (docs/match-quality.md): the whitening's pull towards the
# identity, on both stages, and stage one's candidates.
WHITEN_ALPHA = 1.0
CANDIDATES = 10


@dataclass(frozen=True)
class LearnedSearch:
    """The two-stage search with learned maps ("learned" in `movemirror bench quality`):
    stage one the exact cosine top `candidates` between whitened Move Mirror vectors, the
    query and its mirror image (quality.rerank.first_stage); stage two orders them by the L2
    between whitened torso vectors, each candidate at its nearer side (quality.rerank.rerank).
    Both maps are noise_whitening of the same pairs."""

    box: MappedDistance
    torso: MappedDistance

    @classmethod
    def fit(cls, query_poses: np.ndarray, archive_poses: np.ndarray,
            alpha: float = WHITEN_ALPHA) -> LearnedSearch:
        """From paired poses (N, 17, 3) each: the query model's and the archive's estimate
        of the same archive photos (same_person)."""
        box = noise_whitening(*training_vectors(query_poses, archive_poses), alpha)
        torso = noise_whitening(*training_vectors(query_poses, archive_poses, torso=True), alpha)
        return cls(MappedDistance(LearnedMap(box)),
                   MappedDistance(LearnedMap(torso, unit=False), torso=True))

    def matches(self, queries: np.ndarray, archive: np.ndarray, k: int,
                candidates: int = CANDIDATES) -> tuple[np.ndarray, np.ndarray]:
        """Per query (Q, 17, 3) its first k archive rows (-1 past those found) and whether
        each is shown mirrored: ((Q, k), (Q, k))."""
        from movemirror.quality.rerank import first_stage, rerank

        k = min(k, len(archive))
        rows, first, flags = first_stage(self.box, queries, archive, max(k, candidates), True)
        picked = [rerank(self.torso, q, archive, r, f, m, True, k)
                  for q, r, f, m in zip(queries, rows, first, flags, strict=True)]
        if not picked:
            return np.empty((0, k), np.int64), np.empty((0, k), bool)
        return np.stack([p[0] for p in picked]), np.stack([p[1] for p in picked])
