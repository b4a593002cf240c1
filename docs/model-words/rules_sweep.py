"""When should the word reader's reading replace the decoder's? (recognizer/models/MODEL_CARD.md,
section `words`; its output: rules-dev-halfB.log)

    python docs/model-words/rules_sweep.py runs/words/r2/words.tflite DOCS \\
        runs/docs:pdf150,pdf96,scan,photo runs/docs-web runs/docs-webdev \\
        runs/docs-webdev-more:pdf150,pdf96,scan

Each dev image (of the documents DOCS, comma-separated ``source/doc``, and every image
without a text layer) is decoded once without the word reader; each rule then decides
which of its Latin runs the word reader ``MODEL`` reads again, and the page is finished
by the rules table and scored. Prints the errors per corpus/variant and rule.
"""

import math
import sys
from collections import defaultdict
from pathlib import Path

from benchmarks import corpus
from benchmarks.docs import class_counts
from ocr_pipeline import latin, lexicon
from ocr_pipeline.reader import Reader, load_source
from segmentation import segment_page

WORDS = lexicon.words()


def text_of(old):
    return "".join(c.char for c in old)


def least(old):
    return min(c.confidence for c in old)


def geomean(xs):
    return math.exp(sum(math.log(max(x, 1e-6)) for x in xs) / len(xs))


def known(t):
    w = t.strip("()[]{}.,;:'\"!?").lower()
    return w.isalpha() and w in WORDS


def new_word(old, t):
    return known(t) and not known(text_of(old))


RULES = {
    "none": lambda o, t, c: False,
    "t0": lambda o, t, c: True,
    "t.5": lambda o, t, c: min(c) >= 0.5,
    "t.9": lambda o, t, c: min(c) >= 0.9,
    "min>": lambda o, t, c: min(c) > least(o),
    "gm>": lambda o, t, c: geomean(c) > geomean([x.confidence for x in o]),
    "min>|.9": lambda o, t, c: min(c) >= 0.9 or min(c) > least(o),
    "min>|lex": lambda o, t, c: min(c) > least(o) or new_word(o, t),
    "gm>|lex": lambda o, t, c: geomean(c) > geomean([x.confidence for x in o]) or new_word(o, t),
    "len2min>": lambda o, t, c: (len(o) >= 2 or len(t) >= 2) and min(c) > least(o),
}


def deciding(rule):
    return lambda o, t, c: bool(t) and t != text_of(o) and rule(o, t, c)


def main() -> None:
    model, docs, specs = Path(sys.argv[1]), set(sys.argv[2].split(",")), sys.argv[3:]
    words = latin.WordReader(model)
    reader = Reader(latin=None)
    tot: dict = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for spec in specs:
        folder, _, vs = spec.partition(":")
        for e in corpus.read_manifest(Path(folder)):
            if e.split != "dev" or (vs and e.variant not in vs.split(",")):
                continue
            if e.chars and f"{e.source}/{e.doc}" not in docs:
                continue
            truth = Path(e.truth).read_text(encoding="utf-8")
            page = next(iter(load_source(Path(e.image))))
            res, decoded = reader.decode_image(page.gray)
            ink = segment_page(page.gray).ink
            key = f"{Path(folder).name}/{e.variant}"
            for name, rule in RULES.items():
                latin.better = deciding(rule)
                res.lines = reader.apply_rules(latin.reread(decoded, ink, words))
                err, n = class_counts(truth, res.text)["all"]
                tot[key][name][0] += err
                tot[key][name][1] += n
            print(e.id, [tot[key][r][0] for r in RULES], flush=True)
    print("variant".ljust(24) + "".join(f"{r:>10}" for r in RULES))
    for key, d in sorted(tot.items()):
        print(key.ljust(24) + "".join(f"{d[r][0]:>10}" for r in RULES))
    print("ALL".ljust(24) + "".join(f"{sum(d[r][0] for d in tot.values()):>10}" for r in RULES))


if __name__ == "__main__":
    main()
