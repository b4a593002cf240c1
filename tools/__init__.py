"""Build tools for the data the reader ships (not part of the installed package).

- ``python -m tools.build_bigram`` builds ``ocr_pipeline/data/bigram.npz``, the
  character bigram language model (:mod:`ocr_pipeline.language`);
- ``python -m tools.build_lexicon`` builds ``ocr_pipeline/data/english.txt.gz``, the
  English word list (:mod:`ocr_pipeline.lexicon`).

Run them from a checkout; see tools/README.md.
"""
