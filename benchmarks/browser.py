"""Render local HTML pages with Chromium: PDFs, page screenshots and paragraph shots.

The real-document benchmark needs images of real pages together with the text that is
visibly on them.  This module drives the system's Chromium through Playwright (never a
browser that Playwright would download) and makes three kinds of input:

* :meth:`Browser.print_pdf`: Chromium's print-to-PDF of a page; the PDF's text layer is
  the ground truth of its pages (read it with pypdfium2).
* :meth:`Browser.screenshot_page`: the top of a page as a screenshot, with the text of
  every character that is visible on it and its box in the PNG.
* :meth:`Browser.screenshot_paragraphs`: single prose blocks of a page (``p``, ``li``,
  ``dd``, ``td``), restyled in a given font family and size, light or dark, each on its
  own, with their text and boxes.

The truth of a screenshot comes from the page's layout, not from OCR: one JavaScript
call walks the text nodes, measures every character with a DOM ``Range`` and keeps those
that are drawn inside the image (not ``display: none``, ``visibility: hidden``,
transparent, zero-size, clipped by an ``overflow`` ancestor or covered by another
element; not inside ``<script>``, ``<style>``, ``<svg>``, form controls...).  Text drawn
inside pictures (``<img>``, ``<svg>``, ``<canvas>``) is not text.  So that the truth
matches the pixels, screenshots are taken with CSS that makes text the DOM does not hold
transparent: list markers (bullets, numbers), ``::before``/``::after`` content, the alt
text of broken images and form controls' values.

Pages are local files; every http(s), ws(s) or ftp request is aborted and DNS is
disabled, so a page never waits on the network.  One :class:`Browser` launches Chromium
once (about 0.6 s) and renders any number of pages; the module-level functions of the
same names launch one for a single call.

Example::

    with Browser() as b:
        b.print_pdf(Path("page.html"), Path("page.pdf"))
        shot = b.screenshot_page(Path("page.html"), Path("page.png"))
        shots = b.screenshot_paragraphs(Path("page.html"), Path("out"),
                                        font_family="Noto Sans CJK SC", font_px=16)
"""

from __future__ import annotations

import logging
import math
import os
import random
import re
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from playwright.sync_api import Browser as PwBrowser
    from playwright.sync_api import BrowserContext, Page, Playwright

log = logging.getLogger(__name__)

#: Where Debian's ``chromium`` package puts the browser; ``PAGEOCR_CHROMIUM`` overrides.
DEFAULT_CHROMIUM = "/usr/bin/chromium"

#: Command-line switches: headless, no sandbox (root), no GPU, and nothing that talks to
#: the network (no QUIC, no background fetches, no updates or sync, no DNS at all).
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)

#: Requests that are aborted: anything that would leave the machine.
_REMOTE = re.compile(r"^(?:https?|wss?|ftp)://", re.IGNORECASE)

#: A prose block for :meth:`Browser.screenshot_paragraphs`: at least this many
#: non-whitespace characters, of which at least this share (and at least
#: ``MIN_BLOCK_HANZI``) are hanzi.
MIN_BLOCK_CHARS = 30
MIN_BLOCK_HANZI_SHARE = 0.2
MIN_BLOCK_HANZI = 5

#: (background, text) colours (RGB) of the paragraph shots.
LIGHT_THEME = ((255, 255, 255), (30, 30, 30))
DARK_THEME = ((30, 31, 34), (220, 221, 222))

#: Text that is drawn but is not in the DOM's text nodes is made transparent, so that a
#: screenshot shows exactly the characters its truth lists.
_TRUTH_CSS = """
::marker { color: transparent !important; }
*::before, *::after {
  color: transparent !important; -webkit-text-fill-color: transparent !important;
  text-shadow: none !important;
}
img, input, textarea, select { color: transparent !important; text-shadow: none !important; }
::placeholder { color: transparent !important; }
"""

#: Chromium prints the bullets of lists (disc, circle, square markers) as shapes, not as
#: text, so a printed page's text layer lacks the bullets drawn on it.  Before printing,
#: such markers become the character "•", which the text layer then holds.
_BULLETS_AS_TEXT_JS = r"""
() => {
  let n = 0;
  for (const li of document.querySelectorAll('li')) {
    const s = getComputedStyle(li);
    if (s.display === 'list-item' && s.listStyleImage === 'none'
        && ['disc', 'circle', 'square'].includes(s.listStyleType)) {
      li.style.listStyleType = '"\\2022\\00a0\\00a0"';
      n += 1;
    }
  }
  return n;
}
"""

#: The character walk: ``(root, o) => {chars, cut}``.  Every non-whitespace code point
#: of every text node under ``root`` that is drawn: its rect (CSS px, relative to the
#: viewport) and whether whitespace stood before it in the DOM since the last drawn
#: character.  ``o.region`` ([x0, y0, x1, y1], CSS px) keeps only characters wholly
#: inside it; with ``o.cut`` its bottom edge is first moved up until it cuts through no
#: character (so the image holds no half line).  ``o.occlusion`` drops characters whose
#: centre another element covers (they must be inside the viewport).
_WALK_JS = r"""
(root, o) => {
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const SKIP = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'TEXTAREA', 'SELECT',
    'OPTION', 'OPTGROUP', 'DATALIST', 'CANVAS', 'IFRAME', 'OBJECT', 'EMBED', 'VIDEO',
    'AUDIO', 'HEAD', 'TITLE']);
  const EPS = 0.5;
  const INF = Infinity;
  const region = o.region || [-INF, -INF, INF, INF];
  const alpha = (c) => {
    if (!c || c === 'transparent') return 0;
    let m = c.match(/\/\s*([\d.]+)(%?)\s*\)\s*$/);
    if (m) return parseFloat(m[1]) / (m[2] ? 100 : 1);
    m = c.match(/^rgba\(([^)]*)\)$/);
    if (m) { const p = m[1].split(','); return p.length > 3 ? parseFloat(p[3]) : 1; }
    return 1;
  };
  const cache = new Map();
  const TOP = {ok: true, clip: [-INF, -INF, INF, INF], cs: null};
  const info = (el) => {
    if (!el) return TOP;
    let r = cache.get(el);
    if (r) return r;
    const p = info(el.parentElement);
    if (!p.ok || SKIP.has(el.tagName.toUpperCase()) || el.namespaceURI === SVG_NS) {
      r = {ok: false};
    } else {
      const cs = getComputedStyle(el);
      if (cs.display === 'none' || parseFloat(cs.opacity) === 0
          || cs.contentVisibility === 'hidden') {
        r = {ok: false};
      } else {
        let clip = p.clip;
        const ox = cs.overflowX !== 'visible', oy = cs.overflowY !== 'visible';
        if ((ox || oy) && el !== document.documentElement && el !== document.body) {
          const b = el.getBoundingClientRect();
          const bw = (s) => parseFloat(cs[s]) || 0;
          clip = [
            ox ? Math.max(clip[0], b.left + bw('borderLeftWidth')) : clip[0],
            oy ? Math.max(clip[1], b.top + bw('borderTopWidth')) : clip[1],
            ox ? Math.min(clip[2], b.right - bw('borderRightWidth')) : clip[2],
            oy ? Math.min(clip[3], b.bottom - bw('borderBottomWidth')) : clip[3],
          ];
        }
        r = {ok: true, clip, cs};
      }
    }
    cache.set(el, r);
    return r;
  };
  const invisible = /^[\s\p{Cc}\p{Cf}\p{Z}]$/u;
  const white = /^\s$/u;
  const out = [];
  const range = document.createRange();
  const tw = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let space = false;
  for (let node = tw.nextNode(); node; node = tw.nextNode()) {
    const text = node.data;
    if (!/\S/u.test(text)) { if (text) space = true; continue; }
    const el = node.parentElement;
    if (!el) continue;
    const inf = info(el);
    if (!inf.ok) continue;
    const cs = inf.cs;
    if (cs.visibility !== 'visible' || alpha(cs.color) === 0
        || alpha(cs.webkitTextFillColor) === 0) continue;
    const c = inf.clip;
    range.selectNodeContents(node);
    const nb = range.getBoundingClientRect();
    if ((nb.width === 0 && nb.height === 0) || nb.right < Math.max(c[0], region[0])
        || nb.left > Math.min(c[2], region[2]) || nb.bottom < Math.max(c[1], region[1])
        || nb.top > Math.min(c[3], region[3])) {
      if (/\s/u.test(text)) space = true;
      continue;
    }
    const tt = cs.textTransform;
    let off = 0;
    let wordStart = true;
    for (const ch0 of text) {
      const n = ch0.length;
      if (invisible.test(ch0)) {
        if (white.test(ch0)) { space = true; wordStart = true; }
        off += n;
        continue;
      }
      range.setStart(node, off);
      range.setEnd(node, off + n);
      off += n;
      let best = null;
      for (const q of range.getClientRects()) {
        if (q.width > 0 && q.height > 0 && (!best || q.width * q.height > best.width * best.height))
          best = q;
      }
      const start = wordStart;
      wordStart = false;
      if (!best) continue;
      if (best.left < c[0] - EPS || best.top < c[1] - EPS || best.right > c[2] + EPS
          || best.bottom > c[3] + EPS) continue;
      let ch = ch0;
      if (tt === 'uppercase' || (tt === 'capitalize' && start)) ch = ch.toUpperCase();
      else if (tt === 'lowercase') ch = ch.toLowerCase();
      out.push([ch, best.left, best.top, best.right, best.bottom, space, el]);
      space = false;
    }
  }
  let [x0, y0, x1, y1] = region;
  let keep = out.filter((q) => q[1] >= x0 - EPS && q[3] <= x1 + EPS && q[4] > y0 && q[2] < y1);
  if (o.cut) {
    let cut = y1;
    for (;;) {
      const st = keep.filter((q) => q[2] < cut - EPS && q[4] > cut + EPS);
      if (!st.length) break;
      cut = Math.min(...st.map((q) => q[2]));
    }
    if (cut - y0 >= (y1 - y0) / 2) y1 = cut;
  }
  keep = keep.filter((q) => q[2] >= y0 - EPS && q[4] <= y1 + EPS);
  if (o.occlusion) {
    keep = keep.filter((q) => {
      const x = (q[1] + q[3]) / 2, y = (q[2] + q[4]) / 2;
      if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) return true;
      const hit = document.elementFromPoint(x, y);
      return !hit || hit === q[6] || q[6].contains(hit) || hit.contains(q[6]);
    });
  }
  return {chars: keep.map((q) => q.slice(0, 6)), cut: y1};
}
"""

#: Height of the page's content (CSS px), for trimming a short page's screenshot.
_CONTENT_HEIGHT_JS = """
() => {
  const b = document.body, h = document.documentElement;
  let y = h.getBoundingClientRect().bottom;
  if (b) y = Math.max(y, b.getBoundingClientRect().bottom
                         + (parseFloat(getComputedStyle(b).marginBottom) || 0));
  return y + window.scrollY;
}
"""

#: Marks the prose blocks with ``data-pageocr-cand="i"`` (DOM order), returns how many.
_CANDIDATES_JS = r"""
(o) => {
  const NESTED = 'p, li, dd, dt, td, th, table, pre, ul, ol, dl, div, blockquote, section, '
    + 'article, aside, figure, h1, h2, h3, h4, h5, h6, iframe, object, canvas';
  let i = 0;
  for (const el of document.querySelectorAll('p, li, dd, td')) {
    if (el.querySelector(NESTED) || !el.getClientRects().length) continue;
    if (getComputedStyle(el).visibility !== 'visible') continue;
    const t = [...el.textContent.replace(/\s+/gu, '')];
    if (t.length < o.minChars) continue;
    const han = t.filter((c) => /\p{Script=Han}/u.test(c)).length;
    if (han < o.minHan || han < o.hanShare * t.length) continue;
    el.setAttribute('data-pageocr-cand', String(i++));
  }
  return i;
}
"""

#: Isolates one block: it gets ``data-pageocr-shot``, its ancestors
#: ``data-pageocr-anc`` (drawn transparent), every other element ``data-pageocr-hide``.
_ISOLATE_JS = """
(target) => {
  for (const a of ['data-pageocr-shot', 'data-pageocr-anc', 'data-pageocr-hide'])
    for (const e of document.querySelectorAll('[' + a + ']')) e.removeAttribute(a);
  target.setAttribute('data-pageocr-shot', '');
  for (const e of [document.body, ...document.body.querySelectorAll('*')]) {
    if (e === target || target.contains(e)) continue;
    e.setAttribute(e.contains(target) ? 'data-pageocr-anc' : 'data-pageocr-hide', '');
  }
  const r = target.getBoundingClientRect();
  return [r.width, r.height];
}
"""

#: Scrolls a block to ``pad`` CSS px below the viewport's top; returns its rect.
_SCROLL_TO_JS = """
(target, pad) => {
  window.scrollTo(0, window.scrollY + target.getBoundingClientRect().top - pad);
  const r = target.getBoundingClientRect();
  return [r.left, r.top, r.right, r.bottom];
}
"""

#: Whether a family is one of the page's web fonts (``@font-face``).
_WEBFONT_JS = """
(f) => {
  for (const ff of document.fonts) if (ff.family.replace(/^["']|["']$/g, '') === f) return true;
  return false;
}
"""


@dataclass
class Shot:
    """A screenshot and the text visible on it.

    Attributes:
        image: the PNG.
        text: the visible characters in DOM order; a newline where the next character
            starts a new line (its box overlaps the previous one vertically by less than
            half the smaller height), a single space where the DOM has whitespace
            between two characters of a line that are drawn apart (or where two
            characters of a line are more than a line height apart).
        chars: every visible non-whitespace character and its box (x0, y0, x1, y1) in
            pixels of the PNG, exclusive ends, in DOM order; a box is the character's
            cell (advance width by the font's ascent plus descent), not its ink.
    """

    image: Path
    text: str
    chars: list[tuple[str, tuple[int, int, int, int]]]


def find_chromium() -> str | None:
    """The Chromium executable to drive, or None when there is none.

    ``PAGEOCR_CHROMIUM`` if set, else ``chromium`` (or ``chromium-browser``) on PATH,
    else :data:`DEFAULT_CHROMIUM` if it exists.
    """
    env = os.environ.get("PAGEOCR_CHROMIUM")
    if env:
        return env
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return DEFAULT_CHROMIUM if Path(DEFAULT_CHROMIUM).exists() else None


@lru_cache(maxsize=64)
def _fontconfig_has(family: str) -> bool | None:
    """Whether fontconfig knows ``family`` (None when ``fc-list`` is missing)."""
    if shutil.which("fc-list") is None:
        return None
    escaped = re.sub(r"([\\:,=\-])", r"\\\1", family)  # fontconfig pattern syntax
    done = subprocess.run(
        ["fc-list", f":family={escaped}", "family"], capture_output=True, text=True, check=False
    )
    return bool(done.stdout.strip())


def _join(items: Sequence[Sequence[Any]]) -> str:
    """Text of walked characters: newlines between lines, spaces between words.

    Args:
        items: (char, left, top, right, bottom, space_before) per character, boxes in
            any one unit (CSS px here), in reading (DOM) order.

    Returns:
        The characters joined; "\\n" where a character's box overlaps the previous one
        vertically by less than half the smaller height, " " where on one line the DOM
        had whitespace before it and it is drawn more than a tenth of a line height
        after the previous one, or where it is more than a line height after it.
    """
    parts: list[str] = []
    prev: Sequence[Any] | None = None
    for it in items:
        ch, left, top, _right, bottom, space = it[:6]
        if prev is not None:
            h = min(bottom - top, prev[4] - prev[2])
            overlap = min(bottom, prev[4]) - max(top, prev[2])
            gap = left - prev[3]
            if overlap < 0.5 * h:
                parts.append("\n")
            elif (space and gap > 0.1 * h) or gap > h:
                parts.append(" ")
        parts.append(ch)
        prev = it
    return "".join(parts)


def _device_chars(
    items: Sequence[Sequence[Any]], origin: tuple[float, float], scale: float, size: tuple[int, int]
) -> list[tuple[str, tuple[int, int, int, int]]]:
    """Boxes of walked characters in pixels of the PNG.

    Args:
        items: (char, left, top, right, bottom, ...) per character, CSS px of the viewport.
        origin: the image's top-left corner, CSS px of the viewport.
        scale: device pixels per CSS px.
        size: (width, height) of the PNG in pixels; boxes are clipped to it.

    Returns:
        (char, (x0, y0, x1, y1)) per character with a box at least one pixel wide and
        high; edges are rounded, so characters that touch share an edge and never
        overlap.
    """
    w, h = size
    out = []
    for ch, left, top, right, bottom, *_ in items:
        x0 = min(max(round((left - origin[0]) * scale), 0), w)
        x1 = min(max(round((right - origin[0]) * scale), 0), w)
        y0 = min(max(round((top - origin[1]) * scale), 0), h)
        y1 = min(max(round((bottom - origin[1]) * scale), 0), h)
        if x1 > x0 and y1 > y0:
            out.append((ch, (x0, y0, x1, y1)))
    return out


def _png_size(path: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as im:
        return im.size


def _pad_png(
    png: Path,
    before: tuple[int, int],
    after: tuple[int, int],
    scale: float,
    color: tuple[int, int, int],
) -> None:
    """Extend a PNG in place by ``before`` (left, top) and ``after`` (right, bottom) CSS
    px of ``color``, at ``scale`` pixels per CSS px."""
    from PIL import Image

    with Image.open(png) as im:
        im.load()
    dx, dy = round(before[0] * scale), round(before[1] * scale)
    w = im.width + dx + round(after[0] * scale)
    h = im.height + dy + round(after[1] * scale)
    canvas = Image.new(im.mode, (w, h), color if im.mode == "RGB" else (*color, 255))
    canvas.paste(im, (dx, dy))
    canvas.save(png)


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-") or "font"


class Browser:
    """One Chromium, launched once, that renders any number of local pages.

    Use as a context manager (``with Browser() as b: ...``) or call :meth:`close`.
    Chromium is launched on first use.  Renders reuse one page per device scale (a new
    browser context costs ~0.3 s): each navigates it anew, sets its viewport and adds
    its style sheet to the new document, so renders do not influence each other.  Not
    thread-safe (Playwright's sync API is bound to its thread).

    Args:
        executable: the Chromium binary; default :func:`find_chromium`.
        timeout_s: limit of one page load, print or screenshot, in seconds.
    """

    def __init__(
        self,
        executable: str | Path | None = None,
        *,
        timeout_s: float = 30,
    ) -> None:
        exe = executable or find_chromium()
        if exe is None:
            raise FileNotFoundError("no Chromium found (apt-get install chromium)")
        self.executable = str(exe)
        self.timeout_ms = timeout_s * 1000
        self._pw: Playwright | None = None
        self._browser: PwBrowser | None = None
        #: one context and page per device scale, reused from render to render
        self._pages: dict[float, tuple[BrowserContext, Page]] = {}

    def __enter__(self) -> Browser:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Launch Chromium (once; later calls do nothing)."""
        if self._browser is not None:
            return
        from playwright.sync_api import sync_playwright

        t0 = time.perf_counter()
        self._pw = sync_playwright().start()
        try:
            self._browser = self._pw.chromium.launch(
                executable_path=self.executable, args=list(CHROMIUM_ARGS), headless=True
            )
        except BaseException:
            self._pw.stop()
            self._pw = None
            raise
        log.debug(
            "launched %s (%s) in %.2f s",
            self.executable,
            self._browser.version,
            time.perf_counter() - t0,
        )

    def close(self) -> None:
        """Close Chromium and Playwright; the object can be started again."""
        for scale in list(self._pages):
            self._drop(scale)
        if self._browser is not None:
            self._browser.close()
            self._browser = None
        if self._pw is not None:
            self._pw.stop()
            self._pw = None

    def _page(self, scale: float) -> Page:
        """The reusable page of device scale ``scale`` (its context made on first use)."""
        self.start()
        assert self._browser is not None
        entry = self._pages.get(scale)
        if entry is not None and not entry[1].is_closed():
            return entry[1]
        ctx = self._browser.new_context(
            viewport={"width": 1024, "height": 768},
            device_scale_factor=scale,
            service_workers="block",
        )
        ctx.set_default_timeout(self.timeout_ms)
        ctx.route(_REMOTE, lambda route: route.abort())
        page = ctx.new_page()
        self._pages[scale] = (ctx, page)
        return page

    def _drop(self, scale: float) -> None:
        """Close the context of ``scale`` (after an error, so no broken page is reused)."""
        entry = self._pages.pop(scale, None)
        if entry is not None:
            try:
                entry[0].close()
            except Exception:  # the browser may be gone already
                log.debug("closing a context failed", exc_info=True)

    @contextmanager
    def _load(self, html: Path, width: int, height: int, scale: float) -> Iterator[Page]:
        """``html`` loaded in a viewport of ``width`` x ``height`` CSS px at ``scale``
        device px per CSS px, scrolled to the top; its context is dropped on an error."""
        html = Path(html)
        if not html.is_file():
            raise FileNotFoundError(html)
        page = self._page(scale)
        try:
            page.set_viewport_size({"width": int(width), "height": int(height)})
            page.goto(html.resolve().as_uri(), wait_until="load")
            yield page
        except BaseException:
            self._drop(scale)
            raise

    @staticmethod
    def _settle(page: Page) -> None:
        """Wait until the page's fonts are loaded (5 s at most), then scroll to the top."""
        page.evaluate(
            "Promise.race([document.fonts.ready, new Promise((r) => setTimeout(r, 5000))])"
            ".then(() => { window.scrollTo(0, 0); return true; })"
        )

    def print_pdf(
        self, html: Path, out: Path, *, paper: str = "A4", margin_mm: float = 15, scale: float = 1.0
    ) -> Path:
        """Chromium's print-to-PDF of a local page, backgrounds and images included.

        The bullets of lists are printed as the character "•" (:data:`_BULLETS_AS_TEXT_JS`),
        so that the PDF's text layer, the truth of its pages, holds every mark drawn.

        Args:
            html: the page (a local file).
            out: the PDF to write (its folder is made).
            paper: paper format as Playwright names it (``A4``, ``A5``, ``Letter``...).
            margin_mm: margin on all four sides, mm.
            scale: rendering scale, 0.1-2.

        Returns:
            ``out``.
        """
        t0 = time.perf_counter()
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        with self._load(html, 1024, 768, 1.0) as page:
            self._settle(page)
            page.evaluate(_BULLETS_AS_TEXT_JS)
            m = f"{margin_mm}mm"
            page.pdf(
                path=str(out),
                format=paper,
                margin={"top": m, "right": m, "bottom": m, "left": m},
                print_background=True,
                scale=scale,
            )
        log.info("printed %s -> %s in %.2f s", html, out, time.perf_counter() - t0)
        return out

    def screenshot_page(
        self,
        html: Path,
        out_png: Path,
        *,
        width: int = 1024,
        max_height: int = 1600,
        scale: float = 1.0,
        css: str = "",
    ) -> Shot:
        """A screenshot of the top of a page and the characters visible on it.

        The viewport is ``width`` x ``max_height`` CSS px; the image is its top part,
        down to the page's end or to ``max_height``, moved up so that no line of text
        is cut through (unless that would lose more than half the height).

        Args:
            html: the page (a local file).
            out_png: the PNG to write (its folder is made); it is ``width * scale``
                pixels wide and at most ``max_height * scale`` high.
            width: viewport width, CSS px.
            max_height: most height shown, CSS px.
            scale: device pixels per CSS px (``device_scale_factor``).
            css: extra style sheet added after the page's (e.g. to force a font).

        Returns:
            The :class:`Shot`: boxes in pixels of the PNG.
        """
        t0 = time.perf_counter()
        out_png = Path(out_png)
        out_png.parent.mkdir(parents=True, exist_ok=True)
        with self._load(html, width, max_height, scale) as page:
            page.add_style_tag(content=_TRUTH_CSS + "\n" + css)
            self._settle(page)
            bottom = min(float(max_height), page.evaluate(_CONTENT_HEIGHT_JS))
            walk = page.evaluate(
                f"(o) => ({_WALK_JS})(document.documentElement, o)",
                {"region": [0, 0, width, bottom], "cut": True, "occlusion": True},
            )
            height = max(1, math.floor(walk["cut"] + 1e-6))
            page.screenshot(
                path=str(out_png),
                clip={"x": 0, "y": 0, "width": int(width), "height": height},
                animations="disabled",
                caret="hide",
            )
        chars = _device_chars(walk["chars"], (0.0, 0.0), scale, _png_size(out_png))
        shot = Shot(out_png, _join(walk["chars"]), chars)
        log.info(
            "screenshot %s -> %s (%d x %d CSS px, %d chars) in %.2f s",
            html,
            out_png,
            width,
            height,
            len(chars),
            time.perf_counter() - t0,
        )
        return shot

    def screenshot_paragraphs(
        self,
        html: Path,
        out_dir: Path,
        *,
        font_family: str,
        font_px: int,
        width: int = 720,
        scale: float = 1.0,
        max_shots: int = 5,
        seed: int = 0,
        dark: bool = False,
        line_height: float = 1.5,
        pad_px: int = 8,
    ) -> list[Shot]:
        """Screenshots of single prose blocks of a page, restyled, with their text.

        ``random.Random(seed)`` shuffles the page's prose blocks (:meth:`_prose_blocks`)
        and the first ``max_shots`` that fit the viewport's width are shot, in that order,
        each restyled in its place in the layout (:func:`_paragraph_css`).

        Args:
            html: the page (a local file).
            out_dir: folder of the PNGs (made), named
                ``{page stem}-{font slug}-{font_px}px[-dark]-{block index}.png``.
            font_family: a fontconfig family name (``Noto Sans CJK SC``, ``LXGW WenKai``,
                ...) or a family of the page's ``@font-face`` rules.
            font_px, line_height: font size, CSS px; line height, multiple of ``font_px``.
            width, scale: viewport width, CSS px; device pixels per CSS px.
            dark: light text on a dark background (:data:`DARK_THEME`), not :data:`LIGHT_THEME`.
            max_shots, seed: most blocks shot; seed of their choice.
            pad_px: margin around the block's border box in its image, CSS px.

        Returns:
            One :class:`Shot` per block shot (fewer than ``max_shots`` when the page has
            fewer blocks); boxes in pixels of each PNG.

        Raises:
            ValueError: ``font_family`` is neither installed nor a web font of the page.
        """
        t0 = time.perf_counter()
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        background = (DARK_THEME if dark else LIGHT_THEME)[0]
        stem = f"{Path(html).stem}-{_slug(font_family)}-{font_px}px{'-dark' if dark else ''}"
        with self._load(html, width, PARAGRAPH_VIEWPORT_H, scale) as page:
            n = self._prose_blocks(page, font_family, font_px, line_height, dark)
            order = list(range(n))
            random.Random(seed).shuffle(order)
            shooter = _BlockShooter(page, html, width, pad_px, scale, background)
            shots = shooter.shoot(order, max_shots, out_dir / stem)
        log.info("%d paragraph shots of %s (%d blocks) in %s %dpx%s in %.2f s",
                 len(shots), html, n, font_family, font_px, " dark" if dark else "",
                 time.perf_counter() - t0)  # fmt: skip
        return shots

    def _prose_blocks(
        self, page: Page, font_family: str, font_px: int, line_height: float, dark: bool
    ) -> int:
        """Restyle the loaded ``page`` for paragraph shots (:func:`_paragraph_css`) and
        mark its prose blocks (their count): ``p``, ``li``, ``dd`` and ``td`` elements
        without block descendants, with at least :data:`MIN_BLOCK_CHARS` non-whitespace
        characters of which a share :data:`MIN_BLOCK_HANZI_SHARE` are hanzi.

        Raises:
            ValueError: ``font_family`` is neither installed nor a web font of the page.
        """
        css = _paragraph_css(font_family, font_px, line_height, dark)
        page.add_style_tag(content=_TRUTH_CSS + css)
        self._settle(page)
        if not page.evaluate(_WEBFONT_JS, font_family) and _fontconfig_has(font_family) is False:
            raise ValueError(f"font family {font_family!r} is not installed")
        return page.evaluate(
            _CANDIDATES_JS,
            {
                "minChars": MIN_BLOCK_CHARS,
                "minHan": MIN_BLOCK_HANZI,
                "hanShare": MIN_BLOCK_HANZI_SHARE,
            },
        )


#: Viewport height a paragraph shot starts with, CSS px; a taller block grows it.
PARAGRAPH_VIEWPORT_H = 800


def _paragraph_css(font_family: str, font_px: int, line_height: float, dark: bool) -> str:
    """The style sheet of a paragraph shot: the block marked ``data-pageocr-shot`` set in
    ``font_family`` at ``font_px`` with ``line_height``, in the theme's text colour; its
    ancestors (``data-pageocr-anc``) drawn without text, background or borders, and
    everything else hidden, on the theme's background."""
    bg_rgb, fg_rgb = DARK_THEME if dark else LIGHT_THEME
    bg, fg = (f"rgb{c}" for c in (bg_rgb, fg_rgb))
    family = font_family.replace("\\", "\\\\").replace('"', '\\"')
    inner = "color: inherit !important; background-color: transparent !important;" if dark else ""
    return f"""
html {{ background: {bg} !important; }}
[data-pageocr-hide] {{ visibility: hidden !important; }}
[data-pageocr-anc] {{
  color: transparent !important; background: none !important;
  border-color: transparent !important; box-shadow: none !important;
  outline: none !important; text-shadow: none !important;
}}
[data-pageocr-shot] {{
  color: {fg} !important; background: none !important; visibility: visible !important;
}}
[data-pageocr-shot] * {{ {inner} }}
[data-pageocr-shot], [data-pageocr-shot] * {{
  font-family: "{family}" !important; font-size: {font_px}px !important;
  line-height: {line_height} !important;
}}
"""


@dataclass
class _BlockShooter:
    """Shoots the marked prose blocks of a page loaded in ``page`` (:meth:`Browser.
    _prose_blocks`) one at a time, each alone in its place in the layout of a viewport
    ``width`` CSS px wide, with ``pad_px`` CSS px of ``background`` (RGB) around it, at
    ``scale`` device px per CSS px; the viewport grows to fit a tall block."""

    page: Page
    html: Path
    width: int
    pad_px: int
    scale: float
    background: tuple[int, int, int]
    height: int = PARAGRAPH_VIEWPORT_H

    def shoot(self, order: list[int], max_shots: int, stem: Path) -> list[Shot]:
        """Shots of the blocks in ``order``, to ``{stem}-{index:04d}.png``, until
        ``max_shots`` are taken; a block that is wider than the viewport or shows too
        few characters is skipped."""
        shots: list[Shot] = []
        for i in order:
            if len(shots) >= max_shots:
                break
            el = self.page.query_selector(f'[data-pageocr-cand="{i}"]')
            if el is None:
                continue
            shot = self._shoot(el, i, Path(f"{stem}-{i:04d}.png"))
            if shot is not None:
                shots.append(shot)
        return shots

    def _shoot(self, el, i: int, png: Path) -> Shot | None:
        """Block ``i`` (its element ``el``) isolated, scrolled into view and shot to
        ``png``, padded with the background where the padding reaches past the viewport;
        None when it is skipped."""
        _w, h = el.evaluate(_ISOLATE_JS)
        Browser._settle(self.page)
        need = math.ceil(h + 2 * self.pad_px + 2)
        if need > self.height:
            self.height = need
            self.page.set_viewport_size({"width": int(self.width), "height": self.height})
        left, top, right, bottom = el.evaluate(_SCROLL_TO_JS, self.pad_px)
        if left < -0.5 or right > self.width + 0.5:
            log.debug("block %d of %s is wider than the viewport; skipped", i, self.html)
            return None
        pad = self.pad_px
        want = (
            math.floor(left - pad),
            math.floor(top - pad),
            math.ceil(right + pad),
            math.ceil(bottom + pad),
        )
        x0, y0 = max(0, want[0]), max(0, want[1])
        x1, y1 = min(int(self.width), want[2]), min(self.height, want[3])
        walk = el.evaluate(_WALK_JS, {"region": [x0, y0, x1, y1], "cut": False, "occlusion": True})
        if len(walk["chars"]) < MIN_BLOCK_CHARS // 2:
            log.debug("block %d of %s shows %d chars; skipped", i, self.html, len(walk["chars"]))
            return None
        self.page.screenshot(
            path=str(png),
            clip={"x": x0, "y": y0, "width": x1 - x0, "height": y1 - y0},
            animations="disabled",
            caret="hide",
        )
        if want != (x0, y0, x1, y1):  # the padding reaches past the viewport
            _pad_png(png, (x0 - want[0], y0 - want[1]), (want[2] - x1, want[3] - y1),
                     self.scale, self.background)  # fmt: skip
        chars = _device_chars(walk["chars"], want[:2], self.scale, _png_size(png))
        return Shot(png, _join(walk["chars"]), chars)


def print_pdf(
    html: Path,
    out: Path,
    *,
    paper: str = "A4",
    margin_mm: float = 15,
    scale: float = 1.0,
    browser: Browser | None = None,
) -> Path:
    """:meth:`Browser.print_pdf` with ``browser``, or with a Chromium launched for it."""
    if browser is not None:
        return browser.print_pdf(html, out, paper=paper, margin_mm=margin_mm, scale=scale)
    with Browser() as b:
        return b.print_pdf(html, out, paper=paper, margin_mm=margin_mm, scale=scale)


def screenshot_page(
    html: Path,
    out_png: Path,
    *,
    width: int = 1024,
    max_height: int = 1600,
    scale: float = 1.0,
    css: str = "",
    browser: Browser | None = None,
) -> Shot:
    """:meth:`Browser.screenshot_page` with ``browser``, or with a Chromium launched for it."""
    kw: dict[str, Any] = {"width": width, "max_height": max_height, "scale": scale, "css": css}
    if browser is not None:
        return browser.screenshot_page(html, out_png, **kw)
    with Browser() as b:
        return b.screenshot_page(html, out_png, **kw)


def screenshot_paragraphs(
    html: Path,
    out_dir: Path,
    *,
    font_family: str,
    font_px: int,
    width: int = 720,
    scale: float = 1.0,
    max_shots: int = 5,
    seed: int = 0,
    dark: bool = False,
    browser: Browser | None = None,
) -> list[Shot]:
    """:meth:`Browser.screenshot_paragraphs` with ``browser``, or with a Chromium
    launched for it."""
    kw: dict[str, Any] = {
        "font_family": font_family,
        "font_px": font_px,
        "width": width,
        "scale": scale,
        "max_shots": max_shots,
        "seed": seed,
        "dark": dark,
    }
    if browser is not None:
        return browser.screenshot_paragraphs(html, out_dir, **kw)
    with Browser() as b:
        return b.screenshot_paragraphs(html, out_dir, **kw)
