"""The page in a photo: find the sheet of paper on the desk around it and rectify it.

A phone photo of a printed page shows the page as a bright quadrilateral in perspective,
surrounded by a desk (or a hand, a book's other page) that holds no text. Line finding
needs the page flat and upright: the desk's edges otherwise become lines of "text" and
the perspective tilts every line differently. :func:`find_page` looks for that
quadrilateral on a shrunk copy; :func:`flatten_page` warps it to a rectangle.

A screenshot, a scan or a rendered page has no such frame (or text outside it), and is
left as it is.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np

log = logging.getLogger(__name__)

#: Side of the shrunk copy the page is looked for on.
WORK_SIDE = 640
#: The page covers at least this share of the photo, and at most this share (a page
#: filling the frame has no desk to cut away).
MIN_AREA, MAX_AREA = 0.2, 0.97
#: Outside the page, at most this share of pixels are edges (text or pictures outside
#: the quadrilateral mean it is a box on a page or a window on a screen, not a page).
MAX_OUTSIDE_EDGES = 0.02
#: The page is darker outside than inside by at least this much (0..255).
MIN_CONTRAST = 25.0
#: ... or by this much, when every side of it is a step from darker to lighter
#: (:func:`side_support` at least :data:`SURE_SUPPORT`): a page half in a shadow on a
#: grey desk is darker inside on the whole (a web-print dev photo, medians 22 apart, was
#: read unflattened: 1,132 of 1,350 characters wrong).
SURE_CONTRAST, SURE_SUPPORT = 15.0, 0.9
#: A photo of a page is at least this many pixels on its shorter side (a line of light
#: text on a dark screenshot made a thin bright "page" of its words).
MIN_SIDE = 300


def _order(quad: np.ndarray) -> np.ndarray:
    """Corners as top-left, top-right, bottom-right, bottom-left: float32 (4, 2)."""
    q = quad.reshape(4, 2).astype(np.float32)
    s, d = q.sum(axis=1), np.diff(q, axis=1).ravel()
    return np.array([q[np.argmin(s)], q[np.argmin(d)], q[np.argmax(s)], q[np.argmax(d)]],
                    np.float32)  # fmt: skip


#: How far (shrunk pixels) the closing of the edge map pushes the outline outwards.
DILATION = 4.0
#: And how far inside the page's edge it is cut (shrunk pixels): a sliver of desk left
#: along an edge is a line of marks, and a page's margin holds no text.
MARGIN = 4.0


def _inset(quad: np.ndarray, by: float) -> np.ndarray:
    """Move each side of a convex quadrilateral (float32 (4, 2)) inwards by ``by`` pixels."""
    centre = quad.mean(axis=0)
    out = np.empty_like(quad)
    for i in range(4):
        p, a, b = quad[i], quad[i - 1], quad[(i + 1) % 4]
        u, v = (a - p) / np.linalg.norm(a - p), (b - p) / np.linalg.norm(b - p)
        half = np.arccos(np.clip(float(u @ v), -1.0, 1.0)) / 2
        bisector = (u + v) / max(np.linalg.norm(u + v), 1e-6)
        step = by / max(np.sin(half), 0.2)
        out[i] = p + bisector * step if (centre - p) @ bisector > 0 else p - bisector * step
    return out


#: A page is at most this many times as long as it is wide (A4 is 1.41, a receipt 3).
MAX_ASPECT = 4.0


def _aspect(quad: np.ndarray) -> float:
    """Longer over shorter mean side of a quadrilateral (float32 (4, 2), in order)."""
    q = _order(quad)
    w = (np.linalg.norm(q[1] - q[0]) + np.linalg.norm(q[2] - q[3])) / 2
    h = (np.linalg.norm(q[3] - q[0]) + np.linalg.norm(q[2] - q[1])) / 2
    return float(max(w, h) / max(float(min(w, h)), 1e-6))


def _quads(edges: np.ndarray) -> list[np.ndarray]:
    """Four-cornered convex outlines of the largest outer contours of an edge map."""
    contours, _ = cv2.findContours(edges, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out = []
    for c in sorted(contours, key=cv2.contourArea, reverse=True)[:3]:
        hull = cv2.convexHull(c)
        peri = cv2.arcLength(hull, True)
        for eps in (0.01, 0.02, 0.03, 0.05):
            approx = cv2.approxPolyDP(hull, eps * peri, True)
            if len(approx) == 4 and cv2.isContourConvex(approx):
                out.append(approx.reshape(4, 2).astype(np.float32))
                break
    return out


#: Along each side of a page, the desk just outside is darker than the paper just inside
#: by :data:`MIN_CONTRAST` / 2 at this share of the points at least (sides along the
#: image's border excepted: the page may run out of the frame).
MIN_SIDE_SUPPORT = 0.6
#: How far (shrunk pixels) from a side the paper and the desk are sampled.
_PROBE = 6.0


def side_support(blur: np.ndarray, quad: np.ndarray) -> float:
    """The least share, over the sides of ``quad`` (float32 (4, 2), ordered, in ``blur``'s
    pixels) not lying along the image's border, of points where the image (uint8 (H, W))
    is darker just outside the side than just inside it by ``MIN_CONTRAST / 2``; 1.0
    when every side lies along the border.

    A page's outline is a brightness step all along it. The outline of a blob of text
    (a web page's column beside a dark side bar) has paper on both sides of most of
    its sides (a screenshot was 'flattened' to garbage: 97% CER).
    """
    h, w = blur.shape
    centre = quad.mean(axis=0)
    worst = 1.0
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        t = np.linspace(0.05, 0.95, 40)[:, None]
        pts = a + t * (b - a)
        along = b - a
        normal = np.array([-along[1], along[0]]) / max(float(np.linalg.norm(along)), 1e-6)
        if (centre - (a + b) / 2) @ normal < 0:
            normal = -normal  # pointing inwards
        inner, outer = pts + _PROBE * normal, pts - _PROBE * normal
        ok = (outer[:, 0] >= 0) & (outer[:, 0] <= w - 1)
        ok &= (outer[:, 1] >= 0) & (outer[:, 1] <= h - 1)
        if ok.mean() < 0.5:  # the side runs along (or out of) the image's border
            continue
        xi, yi = np.rint(inner[ok]).astype(int).T
        xo, yo = np.rint(outer[ok]).astype(int).T
        xi, yi = np.clip(xi, 0, w - 1), np.clip(yi, 0, h - 1)
        step = blur[yi, xi].astype(np.float64) - blur[yo, xo].astype(np.float64)
        worst = min(worst, float((step >= MIN_CONTRAST / 2).mean()))
    return worst


def find_page(gray: np.ndarray) -> np.ndarray | None:
    """The corners of a sheet of paper photographed on a darker, textless background.

    Args:
        gray: uint8 (H, W), dark text on light paper.

    Returns:
        float32 (4, 2) corners (x, y) in ``gray``'s pixels, top-left, top-right,
        bottom-right, bottom-left; None when the image is not such a photo.
    """
    h, w = gray.shape
    if min(h, w) < MIN_SIDE:
        return None
    scale = min(1.0, WORK_SIDE / max(h, w))
    small = cv2.resize(gray, (max(1, round(w * scale)), max(1, round(h * scale))),
                       interpolation=cv2.INTER_AREA) if scale < 1 else gray  # fmt: skip
    blur = cv2.GaussianBlur(small, (5, 5), 0)
    med = float(np.median(blur))
    edges = cv2.Canny(blur, 0.5 * med, 1.2 * med + 10)
    closed = cv2.dilate(edges, np.ones((5, 5), np.uint8), iterations=2)
    area = small.shape[0] * small.shape[1]
    for quad in _quads(closed):
        share = cv2.contourArea(quad) / area
        if not MIN_AREA <= share <= MAX_AREA:
            continue
        inside = np.zeros(small.shape, np.uint8)
        cv2.fillConvexPoly(inside, quad.astype(np.int32), 1)
        # the page's outline is an edge too: leave a band around it out of "outside"
        band = cv2.dilate(inside, np.ones((15, 15), np.uint8)) > 0
        outside = ~band
        if outside.sum() < 0.02 * area:
            continue
        out_edges = float((edges[outside] > 0).mean())
        contrast = float(np.median(blur[inside > 0])) - float(np.median(blur[outside]))
        aspect = _aspect(quad)
        support = side_support(blur, _order(quad))
        least = MIN_CONTRAST if support < SURE_SUPPORT else SURE_CONTRAST
        if (out_edges > MAX_OUTSIDE_EDGES or contrast < least or aspect > MAX_ASPECT
                or support < MIN_SIDE_SUPPORT):  # fmt: skip
            log.debug("quad %.2f of the image: outside edges %.3f, contrast %.0f: not a page",
                      share, out_edges, contrast)  # fmt: skip
            continue
        return _order(_inset(quad, DILATION + MARGIN) / scale)
    return None


#: A flattened page is enlarged towards this many pixels on its longer side, by at
#: most :data:`MAX_ENLARGE`: a photo's soft, noisy strokes are binarised and cut
#: better at twice their size (dev photos: PDF corpus 33.3 -> 26.6%, web prints 8.2 -> 5.2% CER).
FLAT_SIDE, MAX_ENLARGE = 3000, 2.0


def flatten_page(gray: np.ndarray, corners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Warp the page inside ``corners`` to an upright rectangle.

    Args:
        gray: uint8 (H, W).
        corners: float32 (4, 2) from :func:`find_page`.

    Returns:
        (the page, uint8 (H', W'), its sides the longer of the quadrilateral's opposite
        sides, enlarged towards :data:`FLAT_SIDE`; the homography float64 (3, 3) from
        ``gray`` to it).
    """
    tl, tr, br, bl = corners
    width = max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))
    height = max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))
    # np.float32(1.0): mypy cannot join numpy and Python floats in max(); a page under
    # a pixel gets MAX_ENLARGE either way
    scale = float(np.clip(FLAT_SIDE / max(width, height, np.float32(1.0)), 1.0, MAX_ENLARGE))
    w, h = int(round(width * scale)), int(round(height * scale))
    dst = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
    hom = cv2.getPerspectiveTransform(corners.astype(np.float32), dst)
    page = cv2.warpPerspective(gray, hom, (w, h), flags=cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
    return page, hom.astype(np.float64)
