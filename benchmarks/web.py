"""The web sources of the corpus: HTML documentation from Debian packages, printed to PDF
by headless Chromium (``webprint``, then read like any PDF source), and its screenshots
(``screen``: the top of a page at 1024 CSS px; ``para``: single paragraphs restyled in the
installed Chinese faces at 13-16 px, light and dark), truth from the DOM's visible
characters (:mod:`benchmarks.browser`).
"""

from __future__ import annotations

import glob
import random
from collections.abc import Sequence
from pathlib import Path

from benchmarks import corpus
from benchmarks.browser import Browser

#: HTML documents by package; globs, sorted, a seeded choice taken from each.
HTML_SOURCES = {
    "gimp": "/usr/share/gimp/2.0/help/zh_CN/*.html",
    "lilypond": "/usr/share/doc/lilypond/html/Documentation/*/*.zh.html",
    "debref": "/usr/share/debian-reference/ch*.zh-cn.html",
    "maintguide": "/usr/share/doc/maint-guide-zh-cn/html/*.zh-cn.html",
}
FACES = ("Noto Sans CJK SC", "AR PL UMing CN", "WenQuanYi Zen Hei", "LXGW WenKai",
         "Noto Serif CJK SC")  # fmt: skip
#: HTML pages printed per package.
PRINTED = 3


def _pages(seed: int) -> dict[str, list[Path]]:
    rng = random.Random(seed)
    out = {}
    for name, pattern in HTML_SOURCES.items():
        files = [Path(p) for p in sorted(glob.glob(pattern))
                 if Path(p).stat().st_size > 4000 and "big-page" not in p]  # fmt: skip
        for f in files:
            corpus.check_not_reserved(f)
        rng.shuffle(files)
        out[name] = files
    return out


def _pdf_stem(name: str, f: Path) -> str:
    return f"{name}-{f.stem.replace('.', '-')}"


def _print(docs: dict[str, list[Path]], out: Path) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    made = []
    with Browser() as browser:
        for name, files in docs.items():
            for f in files:
                pdf = out / f"{_pdf_stem(name, f)}.pdf"
                browser.print_pdf(f, pdf)
                made.append(str(pdf))
    return made


def print_docs(out: Path, seed: int) -> list[str]:
    """Print :data:`PRINTED` HTML pages of each package to PDF; returns their paths."""
    return _print({name: files[:PRINTED] for name, files in _pages(seed).items()}, out)


def dev_only(name: str, f: Path) -> bool:
    """Whether an HTML document is dev both as a screenshot (``web-NAME``/stem) and as a
    printed document (``webprint``/PDF stem), so that it is test nowhere.

    >>> dev_only("debref", Path("ch02.zh-cn.html")), dev_only("debref", Path("ch01.zh-cn.html"))
    (True, False)
    """
    return (corpus.split_of(f"web-{name}", f.stem, 0, True) == "dev"
            and corpus.split_of("webprint", _pdf_stem(name, f), 0, True) == "dev")  # fmt: skip


def dev_prints(pages: dict[str, list[Path]], per_package: int) -> dict[str, list[Path]]:
    """Further documents to print for development: of each package's shuffled documents
    after the :data:`PRINTED` ones (which the main corpus prints), the first
    ``per_package`` that are dev by :func:`dev_only`. The main corpus's choice is not
    touched, so its test split stays as it is.

    >>> docs = {"debref": [Path(f"ch{i:02d}.zh-cn.html") for i in (4, 1, 12, 6, 2, 3)]}
    >>> [f.name for f in dev_prints(docs, 2)["debref"]]
    ['ch02.zh-cn.html']
    """
    out = {}
    for name, files in pages.items():
        out[name] = [f for f in files[PRINTED:] if dev_only(name, f)][:per_package]
    return out


def print_dev_docs(out: Path, seed: int, per_package: int, packages: Sequence[str]) -> list[str]:
    """Print :func:`dev_prints` of ``packages`` to PDF; returns their paths."""
    docs = dev_prints({k: v for k, v in _pages(seed).items() if k in packages}, per_package)
    return _print(docs, out)


def screenshots(out: Path, seed: int, per_split: int) -> list[corpus.Entry]:
    """Screenshots of HTML pages and paragraphs, with their truth, as corpus entries.

    Pages after the printed ones are used, split by document like the PDF sources.
    """
    entries: list[corpus.Entry] = []
    rng = random.Random(seed)
    with Browser() as browser:
        for name, files in _pages(seed).items():
            counts = {"dev": 0, "test": 0}
            for f in files[PRINTED:]:
                split = corpus.split_of(f"web-{name}", f.stem, 0, True)
                if counts[split] >= per_split:
                    continue
                folder = out / split / "screen"
                folder.mkdir(parents=True, exist_ok=True)
                stem = f"{name}-{f.stem.replace('.', '-')}"
                shot = browser.screenshot_page(f, folder / f"{stem}-screen.png")
                if len("".join(shot.text.split())) < corpus.MIN_CHARS:
                    continue
                counts[split] += 1
                entries.append(_entry(shot, "screen", name, stem, split, "screen"))
                face = rng.choice(FACES)
                paras = browser.screenshot_paragraphs(
                    f, out / split / "para", font_family=face, font_px=rng.randint(13, 16),
                    max_shots=2, seed=rng.randint(0, 2**31), dark=rng.random() < 0.3)  # fmt: skip
                for k, p in enumerate(paras):
                    entries.append(_entry(p, "para", name, f"{stem}-{k}", split, "para"))
    return entries


def _entry(shot, source: str, doc: str, stem: str, split: str, variant: str) -> corpus.Entry:
    truth = shot.image.with_suffix(".txt")
    truth.write_text(corpus.clean_text(shot.text).strip() + "\n", encoding="utf-8")
    return corpus.Entry(f"{source}/{stem}-{variant}", source, doc, 1, variant, split,
                        str(shot.image), str(truth), dpi=96.0)  # fmt: skip
