#!/usr/bin/env bash
# `make demo`: build the sample bank if there is none (or use the bank named), then serve the app.
set -euo pipefail
cd "$(dirname "$0")/.."
bank="${1:-banks/sample}"
mm=.venv/bin/movemirror
data="${MOVEMIRROR_DATA:-../shared/data}"
host="${HOST:-127.0.0.1}"
port="${PORT:-8000}"

if [ ! -d "$bank/poses.lance" ] && [ -f "$bank/manifest.json" ]; then
  echo "Upgrading the bank at $bank to format 2 (once)."
  "$mm" bank upgrade "$bank"
fi
if [ ! -d "$bank/poses.lance" ]; then
  if [ -d "$data/lspet/images" ]; then
    echo "No bank at $bank: building the sample bank from $data (LSPET photos and the videos)."
    echo "This takes a few minutes once; an interrupted build resumes where it stopped."
    sources=("$data/lspet/images")
    for video in "$data/tfjs-pose-detection-testdata/pose_1.mp4" "$data/openpose-media/video.avi" \
                 "$data/mmpose-testdata/demo/resources/demo.mp4"; do
      [ -e "$video" ] && sources+=("$video")
    done
    "$mm" index "${sources[@]}" --bank "$bank"
  else
    echo "No bank at $bank and no sample data at $data."
    echo "Index your own photos and videos, then serve them:"
    echo "  $mm index ~/Pictures ~/Videos --bank banks/mine"
    echo "  make demo BANK=banks/mine"
    exit 1
  fi
fi

echo "Serving $bank at http://$host:$port/  (Ctrl-C stops)"
exec "$mm" serve --bank "$bank" --host "$host" --port "$port"
