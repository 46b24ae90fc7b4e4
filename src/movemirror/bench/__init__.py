"""Benchmarks on real data (run by `movemirror bench ...`)."""
