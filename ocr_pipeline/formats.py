"""Output formats of ``pageocr read``: text, json, tsv, hocr."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence

from ocr_pipeline.pipeline import PageResult

FORMATS = ("text", "json", "tsv", "hocr")


def to_text(pages: Sequence[PageResult]) -> str:
    """Plain text; pages separated by a form feed, as pdftotext does."""
    return "\f".join(p.text for p in pages) + "\n"


def to_json(pages: Sequence[PageResult]) -> str:
    """Pages -> lines -> characters, each with box, confidence and top-k."""
    doc = {
        "pages": [
            {
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
                                "top": [
                                    {"char": a, "prob": round(q, 5)} for a, q in c.alternatives
                                ],
                            }
                            for c, s in zip(ln.chars, ln.spaces)
                        ],
                    }
                    for ln in p.lines
                ],
            }
            for p in pages
        ]
    }
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def to_tsv(pages: Sequence[PageResult]) -> str:
    """One row per character: page, line, index, x0, y0, x1, y1, confidence, char."""
    rows = ["page\tline\tchar_index\tx0\ty0\tx1\ty1\tconfidence\tchar"]
    for p in pages:
        for li, ln in enumerate(p.lines):
            for ci, c in enumerate(ln.chars):
                x0, y0, x1, y1 = c.box
                rows.append(
                    f"{p.number}\t{li}\t{ci}\t{x0}\t{y0}\t{x1}\t{y1}\t{c.confidence:.4f}\t{c.char}"
                )
    return "\n".join(rows) + "\n"


def to_hocr(pages: Sequence[PageResult]) -> str:
    """hOCR 1.2: pages, paragraphs, lines and characters (ocrx_cinfo) with boxes."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">',
        '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="zh" lang="zh"><head>',
        "<title></title>",
        '<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>',
        '<meta name="ocr-system" content="pageocr"/>',
        '<meta name="ocr-capabilities" content="ocr_page ocr_par ocr_line ocrx_cinfo"/>',
        "</head><body>",
    ]
    for p in pages:
        src = html.escape(p.source, quote=True)
        out.append(
            f"<div class='ocr_page' id='page_{p.number}' "
            f"title='image \"{src}\"; bbox 0 0 {p.width} {p.height}; ppageno {p.number - 1}'>"
        )
        block = None
        for li, ln in enumerate(p.lines):
            if ln.block != block:
                if block is not None:
                    out.append("</p>")
                out.append(f"<p class='ocr_par' id='par_{p.number}_{ln.block}'>")
                block = ln.block
            out.append(f"<span class='ocr_line' id='line_{p.number}_{li}' title='{_bbox(ln.box)}'>")
            for ci, c in enumerate(ln.chars):
                conf = round(100 * c.confidence, 2)
                out.append(
                    f"<span class='ocrx_cinfo' id='char_{p.number}_{li}_{ci}' "
                    f"title='{_bbox(c.box)}; x_conf {conf}'>{html.escape(c.char)}</span>"
                )
            out.append("</span>")
        if block is not None:
            out.append("</p>")
        out.append("</div>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _bbox(box) -> str:
    x0, y0, x1, y1 = box
    return f"bbox {x0} {y0} {x1} {y1}"


def render(pages: Sequence[PageResult], fmt: str) -> str:
    return {"text": to_text, "json": to_json, "tsv": to_tsv, "hocr": to_hocr}[fmt](pages)
