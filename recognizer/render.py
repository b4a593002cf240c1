"""Render one character from one face, with the look of real crops.

:func:`render` is a pure function of (face, character, seed, options): the same
arguments give the same image.  The glyph is drawn inside a short line of text
(neighbouring characters on both sides, a reference glyph fixing the line's
height), the page-level degradations are applied to that line, and the
character is cut out with :func:`segmentation.crops.normalize_crop` — the very
function the page reader uses — so training and reading frame crops alike.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from recognizer.fonts import Face
from segmentation.crops import Mode, normalize_crop

#: Sizes in pixels per em that a character is shown at. Small ones look like
#: 96-dpi screenshots.
SMALL_SIZES = (11, 12, 13, 14, 15, 16, 18, 20)
LARGE_SIZES = (22, 26, 30, 36, 44, 56)

#: Every face is rasterised at this one size and the line scaled to the size
#: wanted: one FreeType face per font keeps memory flat (each open face maps
#: the whole font file) and the font cache small.
BASE_EM = 48


@dataclass(frozen=True)
class Augment:
    """Probabilities and ranges of the augmentations (all off: :data:`CLEAN`).

    Attributes:
        p_small: chance of rendering at a screenshot size (11-20 px per em).
        p_tight: chance of the tight framing instead of the line framing.
        rotate: max rotation in degrees.
        shear: max horizontal shear.
        p_weight: chance of eroding or dilating the strokes.
        p_blur: chance of a Gaussian blur.
        noise: max standard deviation of Gaussian noise (0-255 scale).
        p_jpeg: chance of JPEG compression.
        p_invert: chance of degrading in the other polarity (dark ink on light).
        contrast: min ink-background contrast (1 = full).
        box_jitter: max jitter of the character's box, as a fraction of the em,
            which also lets fragments of the neighbours in.
        p_neighbours: chance of drawing neighbouring characters.
    """

    p_small: float = 0.4
    p_tight: float = 0.25
    rotate: float = 2.5
    shear: float = 0.12
    p_weight: float = 0.25
    p_blur: float = 0.3
    noise: float = 12.0
    p_jpeg: float = 0.25
    p_invert: float = 0.5
    contrast: float = 0.35
    box_jitter: float = 0.06
    p_neighbours: float = 0.8


CLEAN = Augment(
    p_small=0.0,
    p_tight=0.0,
    rotate=0,
    shear=0,
    p_weight=0,
    p_blur=0,
    noise=0,
    p_jpeg=0,
    p_invert=0,
    contrast=1.0,
    box_jitter=0,
    p_neighbours=0,
)


@functools.lru_cache(maxsize=256)
def _font(path: str, index: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, BASE_EM, index=index)


def render(
    face: Face,
    ch: str,
    seed: int,
    size: int = 32,
    mode: Mode | None = None,
    aug: Augment = Augment(),
    neighbours: str = "",
) -> np.ndarray:
    """Render ``ch`` in ``face`` as a white-on-black crop.

    Args:
        face: the font face (must cover ``ch``).
        ch: one character.
        seed: seeds every random choice; same seed, same image.
        size: side of the output square.
        mode: ``"line"`` or ``"tight"`` framing; None draws it from ``aug.p_tight``.
        aug: augmentation settings; :data:`CLEAN` for none.
        neighbours: characters the face covers, to draw beside ``ch``.

    Returns:
        uint8 array (size, size), ink 255-ish on background 0-ish.

    >>> from recognizer.fonts import read_faces
    >>> face = read_faces("tests/fixtures/NotoSansSC-subset.otf")[0]
    >>> render(face, "永", seed=0).shape
    (32, 32)
    """
    rng = np.random.default_rng(seed)
    em = int(rng.choice(SMALL_SIZES if rng.random() < aug.p_small else LARGE_SIZES))
    if mode is None:
        mode = "tight" if rng.random() < aug.p_tight else "line"
    font = _font(face.path, face.index)
    canvas, box, line = _draw_line(font, ch, BASE_EM, rng, aug, neighbours)
    canvas, box, line = _scale(canvas, box, line, em / BASE_EM)
    canvas = _geometric(canvas, rng, aug)
    canvas = _weight_and_blur(canvas, em, rng, aug)
    canvas = _photometric(canvas, rng, aug)
    # A segmenter's cut may shave the glyph or take a sliver of a neighbour
    # (line framing only: a tight crop of a small mark would take the sliver
    # for the mark).
    j = aug.box_jitter * em
    x0, y0, x1, y1 = box
    if j > 0 and mode == "line":
        x0 += int(round(rng.uniform(-j, j)))
        x1 += int(round(rng.uniform(-j, j)))
        x1 = max(x1, x0 + 1)
    return normalize_crop(canvas, (x0, y0, x1, y1), line=line, size=size, mode=mode)


def _draw_line(
    font: ImageFont.FreeTypeFont,
    ch: str,
    em: int,
    rng: np.random.Generator,
    aug: Augment,
    neighbours: str,
) -> tuple[np.ndarray, tuple[int, int, int, int], tuple[int, int]]:
    """Draw ``ch`` with its neighbours on a black line image.

    Returns:
        (ink image uint8 (H, W), box of ``ch``'s ink, (top, bottom) of the line).
    """
    # Room for the character, slivers of its neighbours and rotation; no more,
    # since every later step costs in proportion to this area.
    width, height = int(3.6 * em), int(1.9 * em)
    baseline = int(em * 1.35)
    img = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(img)
    gap = rng.uniform(0.0, 0.25) * em
    x = int(1.3 * em)
    draw.text((x, baseline), ch, font=font, fill=255, anchor="ls")
    bbox = draw.textbbox((x, baseline), ch, font=font, anchor="ls")
    box = _ink_box(np.asarray(img), bbox)
    if neighbours and rng.random() < aug.p_neighbours:
        left = neighbours[int(rng.integers(len(neighbours)))]
        right = neighbours[int(rng.integers(len(neighbours)))]
        lw = font.getlength(left)
        draw.text((box[0] - gap - lw, baseline), left, font=font, fill=255, anchor="ls")
        draw.text((box[2] + gap, baseline), right, font=font, fill=255, anchor="ls")
    line = _line_extent(font, em, baseline, box, rng)
    return np.asarray(img).copy(), box, line


def _scale(
    canvas: np.ndarray, box: tuple[int, int, int, int], line: tuple[int, int], f: float
) -> tuple[np.ndarray, tuple[int, int, int, int], tuple[int, int]]:
    """Scale the line image (area-averaging when shrinking, as a rasteriser would)."""
    if f == 1:
        return canvas, box, line
    interp = cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR
    canvas = cv2.resize(canvas, None, fx=f, fy=f, interpolation=interp)
    x0, y0, x1, y1 = (int(round(v * f)) for v in box)
    box = (x0, y0, max(x1, x0 + 1), max(y1, y0 + 1))
    top, bottom = int(round(line[0] * f)), int(round(line[1] * f))
    return canvas, box, (top, max(bottom, top + 1))


def _ink_box(ink: np.ndarray, bbox: tuple[float, ...]) -> tuple[int, int, int, int]:
    """Tight ink box inside PIL's text bbox (which includes side bearings)."""
    x0, y0, x1, y1 = (int(v) for v in bbox)
    sub = ink[y0:y1, x0:x1] > 40
    rows = np.flatnonzero(sub.any(axis=1))
    cols = np.flatnonzero(sub.any(axis=0))
    if rows.size == 0:
        return x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)
    return x0 + int(cols[0]), y0 + int(rows[0]), x0 + int(cols[-1]) + 1, y0 + int(rows[-1]) + 1


def _line_extent(
    font: ImageFont.FreeTypeFont,
    em: int,
    baseline: int,
    box: tuple[int, int, int, int],
    rng: np.random.Generator,
) -> tuple[int, int]:
    """(top, bottom) of the line ``ch`` sits in.

    A line's extent is the union of its glyphs' ink.  Most lines hold hanzi,
    whose ink spans about 0.86 em above the baseline to 0.1 em below; a line of
    Latin text spans its ascenders and descenders.
    """
    if rng.random() < 0.75:
        top = baseline - rng.uniform(0.80, 0.90) * em
        bottom = baseline + rng.uniform(0.05, 0.13) * em
    else:
        _, t, _, b = font.getbbox("Hg", anchor="ls")
        top, bottom = baseline + t, baseline + b
    top = int(round(min(top, box[1])))
    bottom = int(round(max(bottom, box[3])))
    return top, bottom


def _geometric(ink: np.ndarray, rng: np.random.Generator, aug: Augment) -> np.ndarray:
    """Small rotation and shear about the image centre."""
    if aug.rotate <= 0 and aug.shear <= 0:
        return ink
    h, w = ink.shape
    angle = rng.uniform(-aug.rotate, aug.rotate)
    shear = rng.uniform(-aug.shear, aug.shear)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    m[0, 1] += shear
    m[0, 2] -= shear * h / 2
    return cv2.warpAffine(ink, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)


def _weight_and_blur(
    ink: np.ndarray, em: int, rng: np.random.Generator, aug: Augment
) -> np.ndarray:
    if rng.random() < aug.p_weight and em >= 20:
        k = np.ones((2, 2), np.uint8)
        ink = cv2.dilate(ink, k) if rng.random() < 0.5 else cv2.erode(ink, k)
    if rng.random() < aug.p_blur:
        sigma = rng.uniform(0.2, 0.3 + em / 60)
        ink = cv2.GaussianBlur(ink, (0, 0), sigma)
    return ink


def _photometric(ink: np.ndarray, rng: np.random.Generator, aug: Augment) -> np.ndarray:
    """Contrast, noise and JPEG, in either polarity, returned white on black."""
    lo = rng.uniform(0, (1 - aug.contrast) * 255 * 0.5)
    hi = 255 - rng.uniform(0, (1 - aug.contrast) * 255 * 0.5)
    img: np.ndarray = lo + ink.astype(np.float32) * ((hi - lo) / 255.0)
    inverted = rng.random() < aug.p_invert
    if inverted:
        img = 255 - img
    if aug.noise > 0:
        img += rng.normal(0, rng.uniform(0, aug.noise), img.shape).astype(np.float32)
    img = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < aug.p_jpeg:
        q = int(rng.integers(25, 85))
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, q])
        decoded = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE) if ok else None
        if decoded is not None:
            img = decoded
    if inverted:
        img = 255 - img
    # Normalise as the page reader does: background to 0, ink to full range.
    bg = float(np.median(img))
    img = np.clip((img.astype(np.float32) - bg) * (255.0 / max(hi - lo, 1.0)), 0, 255)
    return img.astype(np.uint8)
