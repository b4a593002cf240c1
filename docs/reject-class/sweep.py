"""Reject-threshold sweep: read each dev image once keeping every character, note each
character's reject probability, and score the text each threshold would leave (CER all,
as `python -m benchmarks docs run` counts it). Of runs/docs, only the dev documents not
harvested for reject examples. The figures of MODEL_CARD.md's reject-class section:

    PYTHONPATH=. python docs/reject-class/sweep.py MODEL OUT.jsonl runs/docs-web runs/docs
"""

import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from benchmarks import corpus
from benchmarks.docs import class_counts
from ocr_pipeline import pipeline
from ocr_pipeline.reader import Reader

model, out = sys.argv[1], sys.argv[2]
folders = sys.argv[3:]
TH = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 2.0]
HALF_B = {
    "maintguide/maint-guide.zh-cn",
    "texlive/install-latex-guide-zh-cn",
    "texlive/qyxf-book-doc",
    "xelatex/xelatex-noto",
}
VARIANTS = {"pdf150", "pdf96", "scan", "photo", "screen", "para"}
pipeline.REJECT_THRESHOLD = 2.0
seen: dict = {}
orig = pipeline._Scorer.score


def score(self, items, prior=0.0):
    orig(self, items, prior)
    for (_line, c), p in self.reject.items():
        seen[c.box] = p


pipeline._Scorer.score = score
reader = Reader(model)
rows = []
for f in folders:
    for e in corpus.read_manifest(Path(f)):
        if e.split != "dev" or e.variant not in VARIANTS:
            continue
        if f.rstrip("/").endswith("docs") and f"{e.source}/{e.doc}" not in HALF_B:
            continue
        seen.clear()
        t = time.time()
        page = reader.read(e.image)[0]
        truth = Path(e.truth).read_text(encoding="utf-8")
        lines = [[(c.char, seen.get(c.box, 0.0)) for c in ln.chars] for ln in page.lines]
        chars = [x for ln in lines for x in ln]
        row = {"id": e.id, "corpus": Path(f).name, "variant": e.variant, "source": e.source}
        for th in TH:
            hyp = "\n".join("".join(ch for ch, p in ln if p < th) for ln in lines)
            row[str(th)] = class_counts(truth, hyp)["all"]
        row["text"] = "\n".join("".join(ch for ch, _ in ln) for ln in lines)
        row["dropped"] = [[ch, round(p, 3)] for ch, p in chars if p >= 0.3]
        rows.append(row)
        print(e.id, row["2.0"], row["0.5"], f"{time.time() - t:.1f}s", flush=True)
Path(out).write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
agg = defaultdict(lambda: np.zeros(2))
for r in rows:
    key = (
        r["corpus"]
        + "/"
        + (r["variant"] if r["source"] != "webprint" else "webprint-" + r["variant"])
    )
    for th in TH:
        agg[(key, th)] += r[str(th)]
keys = sorted({k for k, _ in agg})
print("variant".ljust(28), *[f"{th:>6}" for th in TH])
for k in keys:
    print(k.ljust(28), *[f"{agg[(k, th)][0] / agg[(k, th)][1]:6.2%}" for th in TH])
