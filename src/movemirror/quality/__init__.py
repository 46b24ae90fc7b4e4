"""Match quality: judges of how alike two true poses look, and the oracle-gap measure.

Pure functions; the benchmark that uses them is movemirror.bench.quality.
"""
