"""A quality benchmark pipeline: how the archive's poses were estimated x how the query's were x
the distance (x whether the mirrored query is searched too, x the archive poses refused, x a
re-ranking second stage), and the pipelines every run measures unless told otherwise."""

from __future__ import annotations

from dataclasses import dataclass

from movemirror.bench.quality_poses import Side
from movemirror.distances import LIKENESS
from movemirror.errors import SpecError
from movemirror.quality.metrics import POSE_METRICS
from movemirror.wording import either

# The two-stage search with maps learned from the archive photos' own two estimates, the
# archive's and the query model's (quality.learned.LearnedSearch); mirror implied.
LEARNED = "learned"
BENCH_METRICS = (*POSE_METRICS, LIKENESS, LEARNED)
# What a pipeline is written as, for its errors.
SHAPE = ("ARCHIVE/QUERY/METRIC, then as needed /mirror, /refuse=SCORE and /rerank=K "
         "(SCORE a number, K a whole number, at least 1)")


@dataclass(frozen=True)
class Pipeline:
    archive: Side
    query: Side
    metric: str
    mirror: bool = False
    # Archive poses whose body keypoints' mean score is below this are left out (0: none).
    refuse: float = 0.0
    # > 0: the metric re-ranks this many exact cosine candidates a side (quality.rerank)
    # instead of searching the whole archive.
    rerank: int = 0

    @classmethod
    def parse(cls, text: str) -> Pipeline:
        """'ARCHIVE/QUERY/METRIC[/mirror][/refuse=SCORE][/rerank=K]' (sides: Side.parse);
        SpecError, saying what it takes, for anything else."""
        parts = text.split("/")
        if len(parts) < 3:
            raise SpecError("a pipeline", SHAPE, text)
        if parts[2] not in BENCH_METRICS:
            raise SpecError("a pipeline", f"a METRIC of {either(BENCH_METRICS)}", parts[2])
        mirror, refuse, rerank = False, 0.0, 0
        for option in parts[3:]:
            try:
                if option == "mirror":
                    mirror = True
                elif option.startswith("refuse="):
                    refuse = float(option[len("refuse="):])
                elif option.startswith("rerank="):
                    rerank = int(option[len("rerank="):])
                    if rerank < 1:
                        raise ValueError(option)
                else:
                    raise ValueError(option)
            except ValueError:
                raise SpecError("a pipeline", SHAPE, text) from None
        return cls(Side.parse(parts[0]), Side.parse(parts[1], query=True), parts[2], mirror,
                   refuse, rerank)

    def __str__(self) -> str:
        return (f"{self.archive}/{self.query}/{self.metric}" + ("/mirror" if self.mirror else "")
                + (f"/refuse={self.refuse:g}" if self.refuse else "")
                + (f"/rerank={self.rerank}" if self.rerank else ""))


# The archive's poses as `make demo` indexes it (`movemirror index`'s defaults).
ARCHIVE_SIDE = "ingest:thunder:crop"

# What every run measures unless told otherwise: true poses in; the original Move Mirror
# (PoseNet, one pass, both sides); the product's poses (the archive as `make demo` indexes
# it, queries as the page estimates them) with Move Mirror's distances and with "torso".
DEFAULT_PIPELINES: tuple[str, ...] = (
    "truth/truth/cosine",
    "truth/truth/weighted",
    "truth/truth/torso",
    "single:posenet:fast/single:posenet:fast/cosine",
    "ingest:thunder:crop/single:lightning:crop/cosine",
    "ingest:thunder:crop/single:lightning:crop/weighted",
    "ingest:thunder:crop/single:lightning:crop/torso",
    # BlazePose Full as the page runs it: what "Auto" picks on a device that keeps 30 fps.
    "ingest:thunder:crop/page:blazepose-full:crop/cosine",
    # The product's default search, "likeness" (the two-stage search of quality.rerank chosen
    # on the tuning queries, compiled: quality.likeness), through PoseBank.search.
    "ingest:thunder:crop/single:lightning:crop/likeness",
    "ingest:thunder:crop/page:blazepose-full:crop/likeness",
)
