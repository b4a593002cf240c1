"""Benchmarks of pageocr on real documents (not part of the installed package)."""
