"""Time the "likeness" search against cosine and the mirror search on a bank of Penn Action
poses (the bank and held-out queries of `movemirror bench search`), one query at a time, in
alternating rounds: `python scripts/time_likeness.py [SIZE] [K]`."""

import json
import sys

from movemirror.bench.quality_rerank import time_on_penn_action, timing_line

size = int(sys.argv[1]) if len(sys.argv) > 1 else 80_000
k = int(sys.argv[2]) if len(sys.argv) > 2 else 10
timed = time_on_penn_action(size, k=k)
print(timing_line(timed))
print(json.dumps(timed))
