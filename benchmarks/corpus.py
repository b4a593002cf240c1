"""The real-document corpus: pages set by real typesetters and browsers, their truth taken
from the documents' own text layers, in the variants users feed an OCR tool.

Sources (Debian packages only; see :data:`PDF_SOURCES`):

* ``debref``: the Debian Reference, typeset by dblatex / XeLaTeX (debian-reference-zh-cn);
* ``maintguide``: the Debian New Maintainers' Guide (maint-guide-zh-cn);
* ``texlive``: the Chinese manuals of texlive-lang-chinese (ctex, lshort, ...);
* ``xelatex``: pages this module sets itself with XeLaTeX + ctex from manpages-zh text;
* ``webprint`` / ``screen`` / ``para``: HTML documentation printed to PDF by headless
  Chromium, its screenshots, and screenshots of single paragraphs in the installed Chinese
  faces (:mod:`benchmarks.browser`).

Variants of every PDF page: ``pdf300`` / ``pdf150`` / ``pdf96`` (pdfium rasterisations),
``scan`` (a photocopy: :func:`benchmarks.degrade.scan`) and ``photo`` (a phone photo:
:func:`benchmarks.degrade.photo`).

Pages are split into ``dev`` and ``test`` by a hash of the document (sources with several
documents: whole documents are unseen) or of the document and page (single-document
sources); the split never changes with the seed, so decisions tuned on ``dev`` are
measured on pages never looked at. Reserved packages (:data:`RESERVED`) are refused.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
import subprocess
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

#: Debian packages whose documents measure the work and are never read, rendered,
#: trained or tuned on.
RESERVED = (
    "debian-edu-doc-zh-cn",
    "debian-edu-doc-legacy-zh-cn",
    "debian-faq-zh-cn",
    "kicad-doc-zh",
    "fortunes-zh",
)
_RESERVED_PATHS = ("debian-edu-doc", "debian-faq", "kicad", "fortunes", "/debian-edu")

TEXLIVE_DOC = Path("/usr/share/doc/texlive-doc")
PDF_SOURCES: dict[str, tuple[str, ...]] = {
    "debref": ("/usr/share/debian-reference/debian-reference.zh-cn.pdf",),
    "maintguide": ("/usr/share/doc/maint-guide-zh-cn/maint-guide.zh-cn.pdf",),
    "texlive": tuple(
        str(TEXLIVE_DOC / p)
        for p in (
            "latex/ctex/ctex.pdf",
            "latex/ctex-faq/ctex-faq.pdf",
            "latex/lshort-chinese/lshort-zh-cn.pdf",
            "texlive/texlive-zh-cn/texlive-zh-cn.pdf",
            "latex/install-latex-guide-zh-cn/install-latex-guide-zh-cn.pdf",
            "generic/latex-notes-zh-cn/latex-notes-zh-cn.pdf",
            "generic/zhspacing/zhs-man.pdf",
            "latex/fduthesis/fduthesis.pdf",
            "xelatex/exam-zh/doc/exam-zh-doc.pdf",
            "support/asymptote-faq-zh-cn/asymptote-faq-zh-cn.pdf",
            "support/asymptote-manual-zh-cn/asymptote-manual-zh-cn.pdf",
            "support/tlmgr-intro-zh-cn/tlmgr-intro-zh-cn.pdf",
            "latex/xpinyin/xpinyin.pdf",
            "latex/zhlipsum/zhlipsum.pdf",
            "xelatex/nanicolle/nanicolle-doc-zh.pdf",
            "plain/impatient-cn/cnbook.pdf",
            "latex/qyxf-book/qyxf-book-doc.pdf",
            "latex/njurepo/njurepo.pdf",
            "latex/zhnumber/zhnumber.pdf",
            "xelatex/hanzibox/hanzibox.pdf",
            "latex/texproposal/texproposal.pdf",
            "latex/zhlineskip/zhlineskip.pdf",
        )
    ),
}
PDF_VARIANTS = ("pdf300", "pdf150", "pdf96", "scan", "photo")
#: A page is kept when it has this many non-space characters of text, this share hanzi.
MIN_CHARS = 150
MIN_HANZI_SHARE = 0.2
#: Share of the documents (or pages) in the test split.
TEST_SHARE = 0.5

_LIGATURES = {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}


class CorpusError(RuntimeError):
    """A corpus cannot be built or read (a missing tool or package, a reserved source)."""


def check_not_reserved(path: str | Path) -> None:
    """Refuse any path of a reserved package.

    Raises:
        CorpusError: the path belongs to a reserved package.
    """
    s = str(path).lower()
    if any(r in s for r in RESERVED + _RESERVED_PATHS):
        raise CorpusError(f"{path}: reserved test material, never read in development")


def clean_text(text: str) -> str:
    """Normalise a text layer into the truth: ligatures spelled out, control and private-use
    characters (icons, soft hyphens) dropped, CR/LF as newlines.

    >>> clean_text("e\\ufb03cient\\r\\nx\\u00ady\\ue000")
    'efficient\\nxy'
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for ch in text:
        if ch in _LIGATURES:
            out.append(_LIGATURES[ch])
            continue
        cat = unicodedata.category(ch)
        if ch != "\n" and cat in ("Cc", "Cf", "Co", "Cs", "Cn"):
            continue
        out.append(ch)
    return "".join(out)


def is_hanzi(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def hanzi_share(text: str) -> float:
    chars = "".join(text.split())
    return sum(map(is_hanzi, chars)) / len(chars) if chars else 0.0


def _unit(key: str) -> float:
    """A number in [0, 1) from a string, the same on every machine and run."""
    return int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) / 2**32


def split_of(source: str, doc: str, page: int, by_doc: bool) -> str:
    """``test`` or ``dev`` for a page: by document where a source has several."""
    key = f"{source}/{doc}" if by_doc else f"{source}/{doc}/{page}"
    return "test" if _unit(key) < TEST_SHARE else "dev"


@dataclass(frozen=True)
class PdfPage:
    """A page of a PDF chosen for the corpus."""

    source: str
    doc: str  # the document's short name (file stem)
    path: str
    page: int  # 0-based
    split: str


@dataclass
class Entry:
    """One image of the corpus: where it is, its truth, how it was made.

    ``hom`` maps PDF points (origin top left, y down) to the image's pixels, so that the
    character boxes of ``chars`` (points) land on the image; None where unknown.
    """

    id: str
    source: str
    doc: str
    page: int
    variant: str
    split: str
    image: str
    truth: str
    chars: str = ""
    dpi: float = 0.0
    hom: list[list[float]] | None = None
    extra: dict = field(default_factory=dict)


def page_text(pdf, index: int) -> tuple[str, list[tuple[str, float, float, float, float]]]:
    """The cleaned text layer of one page and its non-space characters with boxes.

    Args:
        pdf: a ``pypdfium2.PdfDocument``.
        index: 0-based page.

    Returns:
        (text, [(char, x0, y0, x1, y1)]) with boxes in points from the page's top left.
    """
    page = pdf[index]
    height = page.get_height()
    tp = page.get_textpage()
    text = clean_text(tp.get_text_range())
    chars = []
    for i in range(tp.count_chars()):
        ch = clean_text(tp.get_text_range(i, 1))
        if not ch.strip():
            continue
        x0, y0, x1, y1 = tp.get_charbox(i)
        chars.append((ch, x0, height - y1, x1, height - y0))
    return text, chars


def candidate_pages(source: str, paths: Sequence[str], by_doc: bool | None = None) -> list[PdfPage]:
    """The pages of a source's PDFs with enough text, mostly Chinese, with their split:
    by document if ``by_doc`` (None: where the source has more than three documents)."""
    import pypdfium2 as pdfium

    by_doc = len(paths) > 3 if by_doc is None else by_doc
    out = []
    for path in paths:
        check_not_reserved(path)
        if not Path(path).is_file():
            log.warning("%s: missing, skipped", path)
            continue
        pdf = pdfium.PdfDocument(path)
        doc = Path(path).stem
        for i in range(len(pdf)):
            text = clean_text(pdf[i].get_textpage().get_text_range())
            if len("".join(text.split())) >= MIN_CHARS and hanzi_share(text) >= MIN_HANZI_SHARE:
                out.append(PdfPage(source, doc, path, i, split_of(source, doc, i, by_doc)))
        pdf.close()
    return out


#: The PDF pages the corpus's published figures were measured on, per source: [document,
#: page (0-based), split] (``python -m benchmarks docs pin``). A build takes these rather
#: than choosing afresh, so that another machine, or a later change to how pages are
#: printed or typeset (which changes the candidate pages), gives the same split back.
PINNED = Path(__file__).with_name("corpus-pages.json")


def pins_of(entries: Sequence[Entry]) -> dict[str, list[list]]:
    """The PDF pages of corpus entries, per source: sorted [document, page (0-based),
    split] (screenshots, which have no page of a PDF, are left out)."""
    out: dict[str, set[tuple[str, int, str]]] = {}
    for e in entries:
        if e.chars:  # made from a PDF page (its text layer's boxes)
            out.setdefault(e.source, set()).add((e.doc, e.page - 1, e.split))
    return {src: [list(t) for t in sorted(v)] for src, v in sorted(out.items())}


def read_pins(path: Path = PINNED) -> dict[str, set[tuple[str, int, str]]]:
    """The pinned pages per source (:data:`PINNED`); empty if there is no such file."""
    try:
        d = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        raise CorpusError(f"{path}: not a list of pinned pages: {err}") from None
    return {src: {(str(doc), int(page), str(split)) for doc, page, split in rows}
            for src, rows in d.items()}  # fmt: skip


def pinned(pages: Sequence[PdfPage], pins: set[tuple[str, int, str]]
           ) -> tuple[list[PdfPage], list[tuple[str, int, str]]]:  # fmt: skip
    """The candidate pages that are pinned (in document and page order), and the pins
    that no candidate matches (another version of the document, printed or typeset
    otherwise: the split is not the published one)."""
    found = {(p.doc, p.page, p.split): p for p in pages}
    chosen = [found[k] for k in sorted(pins) if k in found]
    missing = sorted(k for k in pins if k not in found)
    return chosen, missing


def choose(pages: Sequence[PdfPage], per_split: int, seed: int) -> list[PdfPage]:
    """``per_split`` pages of each split, spread round-robin over the documents."""
    rng = random.Random(f"{seed}")
    chosen: list[PdfPage] = []
    for split in ("dev", "test"):
        docs: dict[str, list[PdfPage]] = {}
        for p in pages:
            if p.split == split:
                docs.setdefault(p.doc, []).append(p)
        for lst in docs.values():
            rng.shuffle(lst)
        order = sorted(docs)
        rng.shuffle(order)
        picked: list[PdfPage] = []
        while len(picked) < per_split and any(docs[d] for d in order):
            for d in order:
                if docs[d] and len(picked) < per_split:
                    picked.append(docs[d].pop())
        chosen += sorted(picked, key=lambda p: (p.doc, p.page))
    return chosen


def render(pdf, index: int, dpi: float) -> np.ndarray:
    """A page rasterised by pdfium: uint8 (H, W, 3) RGB."""
    bitmap = pdf[index].render(scale=dpi / 72.0)
    return np.asarray(bitmap.to_pil().convert("RGB"))


def _save(img: np.ndarray, path: Path) -> None:
    from PIL import Image

    Image.fromarray(img).save(path)


def _hom_points(dpi: float) -> np.ndarray:
    return np.diag([dpi / 72.0, dpi / 72.0, 1.0])


def write_pdf_page(p: PdfPage, out: Path, seed: int, variants: Sequence[str]) -> list[Entry]:
    """Render one PDF page in every variant, with its truth and character boxes.

    Files: ``out/SPLIT/SOURCE/DOC-pNNN-VARIANT.png``, ``...-pNNN.txt`` (truth) and
    ``...-pNNN.chars.json`` (characters with boxes in points).
    """
    import pypdfium2 as pdfium

    from benchmarks import degrade

    folder = out / p.split / p.source
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{p.doc}-p{p.page + 1:03d}"
    pdf = pdfium.PdfDocument(p.path)
    text, chars = page_text(pdf, p.page)
    truth = folder / f"{stem}.txt"
    truth.write_text(text.strip() + "\n", encoding="utf-8")
    boxes = folder / f"{stem}.chars.json"
    boxes.write_text(json.dumps(chars, ensure_ascii=False), encoding="utf-8")
    page_seed = int(_unit(f"{seed}/{p.source}/{stem}") * 2**31)
    entries = []
    cache: dict[int, np.ndarray] = {}

    def at(dpi: int) -> np.ndarray:
        if dpi not in cache:
            cache[dpi] = render(pdf, p.page, dpi)
        return cache[dpi]

    for v in variants:
        image = folder / f"{stem}-{v}.png"
        if v.startswith("pdf"):
            dpi = float(v[3:])
            _save(at(int(dpi)), image)
            hom = _hom_points(dpi)
        elif v == "scan":
            img, h, dpi = degrade.scan(at(300), 300, page_seed)
            _save(img, image)
            hom = h @ _hom_points(300)
        elif v == "photo":
            img, h = degrade.photo(at(150), page_seed + 1)
            _save(img, image)
            dpi, hom = 0.0, h @ _hom_points(150)
        else:
            raise CorpusError(f"unknown variant {v}")
        entries.append(Entry(f"{p.source}/{stem}-{v}", p.source, p.doc, p.page + 1, v, p.split,
                             str(image), str(truth), str(boxes), float(dpi),
                             hom.tolist()))  # fmt: skip
    pdf.close()
    return entries


# --------------------------------------------------------------- xelatex pages

_TEX_SPECIAL = re.compile(r"([\\{}$&#^_~%])")
_TEX_REPL = {"\\": r"\textbackslash{}", "^": r"\^{}", "~": r"\~{}"}

XELATEX_DOCS = {
    # name: (class options, preamble lines)
    "xelatex-fandol": ("a4paper,zihao=5", ["\\usepackage[margin=25mm]{geometry}"]),
    "xelatex-noto": (
        "a4paper,zihao=-4,fontset=none,twocolumn",
        [
            "\\usepackage[margin=18mm]{geometry}",
            "\\setCJKmainfont{Noto Serif CJK SC}",
            "\\setCJKsansfont{Noto Sans CJK SC}",
            "\\setCJKmonofont{Noto Sans Mono CJK SC}",
            "\\setmainfont{Liberation Serif}",
        ],
    ),
}


def tex_escape(text: str) -> str:
    """Text as LaTeX source that prints it as it is.

    >>> tex_escape("a_b & 50% {x} ~")
    'a\\\\_b \\\\& 50\\\\% \\\\{x\\\\} \\\\~{}'
    """
    return _TEX_SPECIAL.sub(lambda m: _TEX_REPL.get(m.group(1), "\\" + m.group(1)), text)


def xelatex_source(docs: Iterable[tuple[str, list[str]]], options: str,
                   preamble: Sequence[str]) -> str:  # fmt: skip
    """A ctexart document: a section per man page, its paragraphs as they are."""
    body = []
    for name, paras in docs:
        body.append(f"\\section{{{tex_escape(name)}}}")
        body += [tex_escape(p) + "\n" for p in paras]
    head = [f"\\documentclass[{options}]{{ctexart}}", *preamble, "\\begin{document}"]
    return "\n".join(head + body + ["\\end{document}", ""])


def _gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def build_xelatex(out: Path, seed: int, n_docs: int = 14) -> list[str]:
    """Typeset manpages-zh text with XeLaTeX + ctex in each setup of :data:`XELATEX_DOCS`.

    Returns:
        The paths of the PDFs made.

    Raises:
        CorpusError: xelatex or manpages-zh is missing, or a document does not compile.
    """
    import shutil

    from benchmarks.manpages import MAN_DIR, documents, manpage_files

    if shutil.which("xelatex") is None:
        raise CorpusError("xelatex is missing: apt-get install texlive-xetex texlive-lang-chinese")
    files = manpage_files(MAN_DIR)
    if not files:
        raise CorpusError(f"no man pages in {MAN_DIR}: apt-get install manpages-zh")
    made = []
    out.mkdir(parents=True, exist_ok=True)
    for k, (name, (options, preamble)) in enumerate(XELATEX_DOCS.items()):
        it = documents(files, seed * 100 + k, _gb2312)
        docs = [next(it) for _ in range(n_docs)]
        src = xelatex_source(docs, options, preamble)
        with tempfile.TemporaryDirectory() as tmp:
            tex = Path(tmp) / f"{name}.tex"
            tex.write_text(src, encoding="utf-8")
            res = subprocess.run(["xelatex", "-interaction=batchmode", "-halt-on-error",
                                  tex.name], cwd=tmp, capture_output=True, timeout=600)  # fmt: skip
            pdf = Path(tmp) / f"{name}.pdf"
            if res.returncode != 0 or not pdf.is_file():
                log_tail = (Path(tmp) / f"{name}.log").read_text(errors="replace")[-800:]
                raise CorpusError(f"xelatex failed on {name}: {log_tail}")
            shutil.copy(pdf, out / pdf.name)
        made.append(str(out / f"{name}.pdf"))
    return made


# --------------------------------------------------------------------- manifest


def _relative(path: str, out: Path) -> str:
    return str(Path(path).resolve().relative_to(out.resolve())) if path else ""


def write_manifest(entries: Sequence[Entry], out: Path) -> Path:
    """Write ``out/manifest.jsonl``, file paths relative to ``out``."""
    path = out / "manifest.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for e in entries:
            d = asdict(e)
            for key in ("image", "truth", "chars"):
                d[key] = _relative(d[key], out)
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    return path


def in_split(entry_split: str, split: str) -> bool:
    """Whether an entry of ``entry_split`` is read when ``split`` is asked for (``all``:
    every entry).

    >>> in_split("dev", "dev"), in_split("test", "dev"), in_split("test", "all")
    (True, False, True)
    """
    return split == "all" or entry_split == split


def read_manifest(folder: Path) -> list[Entry]:
    """The entries of a built corpus.

    Raises:
        CorpusError: no manifest in ``folder``.
    """
    path = folder / "manifest.jsonl"
    if not path.is_file():
        raise CorpusError(f"{folder}: no corpus here (build it: python -m benchmarks docs build)")
    with path.open(encoding="utf-8") as f:
        entries = [Entry(**json.loads(line)) for line in f if line.strip()]
    for e in entries:  # stored relative to the corpus folder, which may move
        e.image, e.truth = str(folder / e.image), str(folder / e.truth)
        e.chars = str(folder / e.chars) if e.chars else ""
    return entries
