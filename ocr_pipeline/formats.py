"""Output formats of ``pageocr read``: text, json, tsv, hocr (and pdf, :mod:`ocr_pipeline.pdfout`).

:class:`PageWriter` writes each page as soon as it is read, so that memory holds
one page whatever the document's length and a run that is stopped keeps what it
read; its output is byte for byte what :func:`render` gives for all the pages.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import IO

from ocr_pipeline.pipeline import CharResult, LineResult, PageResult

FORMATS = ("text", "json", "tsv", "hocr")
#: Every format ``read`` writes: the text formats here, and a searchable PDF (binary).
ALL_FORMATS = (*FORMATS, "pdf")


#: What ``--mark-doubtful`` writes for a character read with a confidence below the
#: threshold: U+FFFD REPLACEMENT CHARACTER, which OCR never reads and ``grep`` finds
#: (the guess, its confidence and alternatives stay in json, tsv and hocr).
DOUBTFUL_MARK = "\ufffd"

#: The default threshold of ``--mark-doubtful``. On 27 pages rendered by
#: ``python -m benchmarks charsets doubtful`` (level-1, level-2 and traditional texts in
#: three faces, 28 px), characters read right had confidences of 0.640 / 0.919 / 0.949
#: (10th / 50th / 90th percentile) and characters outside the model's set 0.014 / 0.040
#: / 0.337: below 0.4 are 89% of the wrong characters and 0.6% of the right ones.
DOUBTFUL_BELOW = 0.4


def mark_doubtful(
    page: PageResult, below: float = DOUBTFUL_BELOW, mark: str = DOUBTFUL_MARK
) -> PageResult:
    """The page with each character of confidence under ``below`` replaced by ``mark``.

    >>> from ocr_pipeline.results import CharResult, LineResult
    >>> line = LineResult((0, 0, 2, 1), 0, [CharResult("妈", (0, 0, 1, 1), 0.05, []),
    ...     CharResult("妈", (1, 0, 2, 1), 0.93, [])], [False, False])
    >>> mark_doubtful(PageResult(2, 1, 0.0, [line])).text
    '\ufffd妈'
    """

    def marked(c: CharResult) -> CharResult:
        return dataclasses.replace(c, char=mark) if c.confidence < below else c

    lines = [dataclasses.replace(ln, chars=[marked(c) for c in ln.chars]) for ln in page.lines]
    return dataclasses.replace(page, lines=lines)


def to_text(pages: Sequence[PageResult]) -> str:
    """Plain text; pages separated by a form feed, as pdftotext does."""
    return "\f".join(p.text for p in pages) + "\n"


def text_header(name: str) -> str:
    """The line that names a page's input in text read from several inputs, as
    ``head`` names its files; ``split_text`` finds them again.

    >>> text_header("scan.pdf page 2")
    '==> scan.pdf page 2 <=='
    """
    return f"==> {name} <=="


_HEADER = re.compile(r"==> (.*) <==")


def split_text(text: str) -> list[tuple[str | None, str]]:
    """Text ``read`` wrote back into its pages: (name from the header line or None, text).

    >>> split_text("==> a.png <==\\n甲\\f==> b.pdf page 1 <==\\n乙\\n")
    [('a.png', '甲'), ('b.pdf page 1', '乙')]
    """
    pages = []
    for chunk in text.removesuffix("\n").split("\f"):
        first, nl, rest = chunk.partition("\n")
        m = _HEADER.fullmatch(first)
        pages.append((m.group(1), rest) if m else (None, chunk))
    return pages


def to_json(pages: Sequence[PageResult]) -> str:
    """Pages -> lines -> characters, each with box (input image pixels), confidence
    and top-k."""
    doc = {"pages": [_json_page(p) for p in pages]}
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def _json_page(p: PageResult) -> dict:
    p = p.on_input()  # boxes in the input image's pixels
    return {
        "source": p.source,
        "page": p.number,
        "width": p.width,
        "height": p.height,
        "skew_degrees": round(p.angle, 3),
        "text": p.text,
        "lines": [
            {
                "box": list(ln.box),
                "block": ln.block,
                "text": ln.text,
                "chars": [
                    {
                        "char": c.char,
                        "box": list(c.box),
                        "confidence": round(c.confidence, 5),
                        "space_after": s,
                        "top": [{"char": a, "prob": round(q, 5)} for a, q in c.alternatives],
                    }
                    for c, s in zip(ln.chars, ln.spaces)
                ],
            }
            for ln in p.lines
        ],
    }


Box = tuple[int, int, int, int]


def _joins(a: str, b: str) -> bool:
    """Letters and digits stay in one word; a hanzi or full-width mark is one alone."""
    return a.isascii() and b.isascii() and not a.isspace() and not b.isspace()


def word_ranges(line: LineResult) -> Iterator[tuple[int, int]]:
    """The words of a line as ranges ``(start, end)`` of its characters: a run of ASCII
    characters with no space in it, or a hanzi or full-width mark alone (Tesseract's
    words in Chinese text, where its dictionary does not join hanzi).

    >>> from ocr_pipeline.pipeline import CharResult
    >>> c = lambda ch, x: CharResult(ch, (x, 0, x + 5, 9), 1.0, [])
    >>> ln = LineResult((0, 0, 60, 9), 0, [c("中", 0), c("O", 6), c("K", 12), c("文", 20)],
    ...                 [False, False, True, False])
    >>> list(word_ranges(ln))
    [(0, 1), (1, 3), (3, 4)]
    """
    start = 0
    for i, (c, space) in enumerate(zip(line.chars, line.spaces)):
        nxt = line.chars[i + 1].char if i + 1 < len(line.chars) else None
        if space or nxt is None or not _joins(c.char, nxt):
            yield start, i + 1
            start = i + 1


def line_words(line: LineResult) -> Iterator[tuple[str, Box, float]]:
    """The words of a line (:func:`word_ranges`) with their boxes (the line's pixels)
    and confidences (:func:`word_confidence`).

    >>> from ocr_pipeline.pipeline import CharResult
    >>> c = lambda ch, x: CharResult(ch, (x, 0, x + 5, 9), 0.5, [])
    >>> ln = LineResult((0, 0, 60, 9), 0, [c("中", 0), c("O", 6), c("K", 12), c("文", 20)],
    ...                 [False, False, True, False])
    >>> list(line_words(ln))[1]
    ('OK', (6, 0, 17, 9), 50.0)
    """
    for i, j in word_ranges(line):
        chars = line.chars[i:j]
        word = "".join(c.char for c in chars)
        yield word, union_box(c.box for c in chars), word_confidence(line, i, j)


def word_confidence(line: LineResult, start: int, end: int) -> float:
    """A word's confidence, 0-100 as Tesseract's: its least sure character's."""
    return 100.0 * min((c.confidence for c in line.chars[start:end]), default=0.0)


def union_box(boxes: Iterable[Sequence[int]]) -> Box:
    """The box around ``boxes`` (x0, y0, x1, y1)."""
    b = list(boxes)
    return (min(x[0] for x in b), min(x[1] for x in b), max(x[2] for x in b),
            max(x[3] for x in b))  # fmt: skip


def blocks(page: PageResult) -> list[list[LineResult]]:
    """The page's lines in runs of one block (a paragraph)."""
    out: list[list[LineResult]] = []
    for i, ln in enumerate(page.lines):
        if not i or ln.block != page.lines[i - 1].block:
            out.append([])
        out[-1].append(ln)
    return out


#: Columns of the TSV: Tesseract's (``tesseract IMAGE OUT tsv``), meaning what they mean
#: there, then the input the row was read from (its path as given, tabs and newlines
#: replaced by spaces). A row per page (level 1), block (2), paragraph (3: one a block),
#: line (4) and word (5: :func:`word_ranges`), numbered as Tesseract does: ``page_num``
#: the page's number in its input (a PDF's own: ``--pages 3-5`` gives 3, 4, 5), blocks
#: from 1 in a page, paragraphs in a block, lines in a paragraph and words in a line;
#: boxes as left, top, width, height; ``conf`` a word's, 0-100 (its least sure
#: character's), -1 on the other levels, whose ``text`` is empty.
TSV_COLUMNS = ("level", "page_num", "block_num", "par_num", "line_num", "word_num", "left",
               "top", "width", "height", "conf", "text", "source")  # fmt: skip
TSV_HEADER = "\t".join(TSV_COLUMNS)


def to_tsv(pages: Sequence[PageResult]) -> str:
    """Tesseract's TSV (:data:`TSV_COLUMNS`) with the source of each row."""
    rows = [TSV_HEADER]
    for p in pages:
        rows.extend(_tsv_rows(p))
    return "\n".join(rows) + "\n"


def _tsv_rows(p: PageResult) -> list[str]:
    p = p.on_input()  # boxes in the input image's pixels
    src = _TSV_UNSAFE.sub(" ", p.source)

    def row(level: int, nums: tuple[int, int, int, int], box, conf: str = "-1", text="") -> str:
        x0, y0, x1, y1 = box
        return "\t".join(map(str, (level, p.number, *nums, x0, y0, x1 - x0, y1 - y0, conf,
                                   _TSV_UNSAFE.sub(" ", text), src)))  # fmt: skip

    rows = [row(1, (0, 0, 0, 0), (0, 0, p.width, p.height))]
    for b, block in enumerate(blocks(p), 1):
        box = union_box(ln.box for ln in block)
        rows += [row(2, (b, 0, 0, 0), box), row(3, (b, 1, 0, 0), box)]
        for li, ln in enumerate(block, 1):
            rows.append(row(4, (b, 1, li, 0), ln.box))
            for w, (word, box, conf) in enumerate(line_words(ln), 1):
                rows.append(row(5, (b, 1, li, w), box, f"{conf:.6f}", word))
    return rows


_TSV_UNSAFE = re.compile(r"[\t\n\r]")


HOCR_HEAD = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">',
    '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="zh" lang="zh"><head>',
    "<title></title>",
    '<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>',
    '<meta name="ocr-system" content="pageocr"/>',
    '<meta name="ocr-capabilities" '
    'content="ocr_page ocr_par ocr_line ocrx_word ocrx_cinfo ocrp_wconf"/>',
    "</head><body>",
]
HOCR_TAIL = ["</body></html>"]


def to_hocr(pages: Sequence[PageResult]) -> str:
    """hOCR 1.2 as Tesseract writes it (with ``hocr_char_boxes``): pages, paragraphs,
    lines, words (``ocrx_word``, ``bbox``, ``x_wconf`` 0-100) and in each word its
    characters (``ocrx_cinfo``, ``x_bboxes``, ``x_conf``).

    A line's text content is its text (a space between words only where the text
    has one), so ``hocr-lines`` and OCRmyPDF's hOCR reader get what ``read`` prints.
    Element ids number the pages in the document's order (``page_1``, ``line_1_0``,
    ...), so they stay unique however many inputs and pages it holds; ``ppageno`` is
    the page's number in its own input (``image``), counted from 0.
    """
    out = list(HOCR_HEAD)
    for k, p in enumerate(pages, 1):
        out.extend(_hocr_page(p, k))
    out.extend(HOCR_TAIL)
    return "\n".join(out) + "\n"


def _hocr_page(p: PageResult, k: int) -> list[str]:
    """The hOCR of page ``p``, the ``k``-th of the document (ids ``page_k`` ...)."""
    p = p.on_input()  # boxes in the input image's pixels, as the page's bbox
    src = html.escape(p.source, quote=True)
    out = [
        f"<div class='ocr_page' id='page_{k}' "
        f"title='image \"{src}\"; bbox 0 0 {p.width} {p.height}; ppageno {p.number - 1}'>"
    ]
    li = 0
    for block in blocks(p):
        box = union_box(ln.box for ln in block)
        out.append(f"<p class='ocr_par' id='par_{k}_{block[0].block}' title='{_bbox(box)}'>")
        for ln in block:
            out.append(f"<span class='ocr_line' id='line_{k}_{li}' title='{_bbox(ln.box)}'>"
                       + _hocr_words(ln, f"{k}_{li}") + "</span>")  # fmt: skip
            li += 1
        out.append("</p>")
    out.append("</div>")
    return out


def _hocr_words(ln: LineResult, ids: str) -> str:
    """A line's words, each holding its characters, on one line: no whitespace
    between them but the line's own spaces."""
    out = []
    for w, (i, j) in enumerate(word_ranges(ln)):
        chars = "".join(
            f"<span class='ocrx_cinfo' id='char_{ids}_{ci}' title='x_bboxes "
            f"{' '.join(map(str, c.box))}; x_conf {round(100 * c.confidence, 2)}'>"
            f"{html.escape(c.char)}</span>"
            for ci, c in enumerate(ln.chars[i:j], i)
        )
        box = union_box(c.box for c in ln.chars[i:j])
        conf = round(word_confidence(ln, i, j))
        space = " " if ln.spaces[j - 1] else ""
        out.append(f"<span class='ocrx_word' id='word_{ids}_{w}' title='{_bbox(box)}; "
                   f"x_wconf {conf}'>{chars}</span>{space}")  # fmt: skip
    return "".join(out).rstrip(" ")


def _bbox(box) -> str:
    x0, y0, x1, y1 = box
    return f"bbox {x0} {y0} {x1} {y1}"


def render(pages: Sequence[PageResult], fmt: str) -> str:
    return {"text": to_text, "json": to_json, "tsv": to_tsv, "hocr": to_hocr}[fmt](pages)


class PageWriter:
    """Writes pages in a format as they come, and the inputs that failed (json only).

    The output of pages written one by one equals :func:`render` of them all.
    With no page, text, tsv and hocr write nothing; json always writes a
    document. An input that failed is listed in json under ``"errors"`` (only
    when there is one, so a run without errors writes what it always did).

    >>> out = io.StringIO()
    >>> w = PageWriter(out, "text")
    >>> w.error("bad.png", "not an image"); w.close(); out.getvalue()
    ''

    Args:
        stream: where to write; flushed after every page.
        fmt: one of :data:`FORMATS`.
        doubtful: text only: characters of a lower confidence are written as
            :data:`DOUBTFUL_MARK` (:func:`mark_doubtful`); None writes them as read.
    """

    def __init__(self, stream: IO[str], fmt: str, doubtful: float | None = None) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}")
        self.stream, self.fmt, self.doubtful = stream, fmt, doubtful
        self.pages = 0
        self.errors: list[dict] = []

    def page(self, p: PageResult, source: object = None, name: str | None = None) -> None:
        """Write one page and flush.

        Args:
            p: the page read.
            source: the input page (for the pdf format; unused here).
            name: text only: the page's name (its input, and page number), written
                on a line of its own before its text (:func:`text_header`).
        """
        first = self.pages == 0
        self.pages += 1
        if self.fmt == "text":
            if self.doubtful is not None:
                p = mark_doubtful(p, self.doubtful)
            text = p.text if name is None else text_header(name) + "\n" + p.text
            chunk = text if first else "\f" + text
        elif self.fmt == "tsv":
            chunk = "".join(row + "\n" for row in ([TSV_HEADER] if first else []) + _tsv_rows(p))
        elif self.fmt == "hocr":
            head = HOCR_HEAD if first else []
            chunk = "".join(line + "\n" for line in head + _hocr_page(p, self.pages))
        else:
            body = json.dumps(_json_page(p), ensure_ascii=False, indent=1)
            chunk = ('{\n "pages": [\n' if first else ",\n") + _indent(body, "  ")
        self.stream.write(chunk)
        self.stream.flush()

    def error(self, source: str, message: str) -> None:
        """Note an input that could not be read (listed by json at the end)."""
        self.errors.append({"source": source, "error": message})

    def close(self) -> None:
        """Write what ends the document."""
        if self.fmt == "text":
            end = "\n" if self.pages else ""
        elif self.fmt == "tsv":
            end = ""
        elif self.fmt == "hocr":
            end = "\n".join(HOCR_TAIL) + "\n" if self.pages else ""
        else:
            end = "\n ]" if self.pages else '{\n "pages": []'
            if self.errors:
                body = json.dumps(self.errors, ensure_ascii=False, indent=1)
                end += ',\n "errors": ' + _indent(body, " ").lstrip()
            end += "\n}\n"
        self.stream.write(end)
        self.stream.flush()


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.split("\n"))
