"""Make clean renderings look like what users really feed an OCR tool: photocopy scans
and phone photos of a printed page.

Each function is pure: a page image and a seed in, the degraded image and the 3x3
homography that maps a pixel of the input to its place in the output. The corpus keeps
the homography so that the text layer's character boxes can be carried onto the
degraded image (to locate errors and align crops with the truth).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image


def _jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:  # pragma: no cover - OpenCV always encodes uint8 images
        raise RuntimeError("JPEG encoding failed")
    out = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    if out is None:  # pragma: no cover - nor fails to decode what it encoded
        raise RuntimeError("JPEG decoding failed")
    return np.asarray(out)


def _gray(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY) if img.ndim == 3 else img


def scan(page: np.ndarray, dpi_in: float, seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    """A photocopy scan of a clean page.

    Toner gamma and speckles, a tilt of 0.2-1.5 degrees, a dark band where the lid or the
    page edge was (one or two sides), rescaling to 150, 200 or 300 dpi, blur, noise and
    JPEG at quality 45-75.

    Args:
        page: uint8 (H, W) or (H, W, 3) RGB, the clean page at ``dpi_in``.
        dpi_in: resolution of ``page``.
        seed: seeds every random choice.

    Returns:
        (scan uint8 (H', W'), homography float64 (3, 3) from ``page`` to scan pixels,
        the scan's dpi).
    """
    rng = np.random.default_rng(seed)
    a: np.ndarray = _gray(page).astype(np.float32) / 255.0
    a = a ** rng.uniform(1.1, 1.7)  # toner: strokes fatter and darker
    h, w = a.shape
    angle = float(rng.uniform(0.2, 1.5) * rng.choice([-1.0, 1.0]))
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    a = cv2.warpAffine(a, rot, (w, h), flags=cv2.INTER_LINEAR, borderValue=1.0)
    for side in rng.choice(4, size=int(rng.integers(1, 3)), replace=False):
        band = int(rng.uniform(0.008, 0.03) * (w if side % 2 else h))
        shade = float(rng.uniform(0.1, 0.35))
        if side == 0:
            a[:band] = np.minimum(a[:band], shade)
        elif side == 1:
            a[:, w - band :] = np.minimum(a[:, w - band :], shade)
        elif side == 2:
            a[h - band :] = np.minimum(a[h - band :], shade)
        else:
            a[:, :band] = np.minimum(a[:, :band], shade)
    dpi = int(rng.choice([150, 200, 300]))
    f = dpi / dpi_in
    size = (max(1, round(w * f)), max(1, round(h * f)))
    a = cv2.resize(a, size, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC)
    a = cv2.GaussianBlur(a, (0, 0), rng.uniform(0.35, 0.8) * dpi / 200)
    speckle = rng.random(a.shape, dtype=np.float32) < rng.uniform(2e-4, 1e-3)
    a[speckle] = a[speckle] * 0.3
    a = a * 255.0 + rng.normal(0, rng.uniform(3, 9), a.shape).astype(np.float32)
    out = _jpeg(np.clip(a, 0, 255).astype(np.uint8), int(rng.integers(45, 76)))
    hom = np.diag([f, f, 1.0]) @ np.vstack([rot, [0.0, 0.0, 1.0]])
    return out, hom, dpi


def _smooth_field(shape: tuple[int, int], rng: np.random.Generator, cells: int) -> np.ndarray:
    """Low-frequency noise in [0, 1], float32 (H, W): a coarse random grid, upsampled."""
    grid = rng.random((cells, cells)).astype(np.float32)
    return cv2.resize(grid, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC).clip(0, 1)


def photo(page: np.ndarray, seed: int, long_side: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """A phone photo of a printed page lying on a desk.

    The page (with a warm paper tint) is warped in perspective onto a textured
    background, lit unevenly (a gradient and a soft shadow across part of it, the
    darker side at 35-65 % of the light), slightly defocused, noisy and saved as JPEG.

    Args:
        page: uint8 (H, W) or (H, W, 3) RGB, the clean page (about 150-200 dpi).
        seed: seeds every random choice.
        long_side: the photo's longer side in pixels.

    Returns:
        (photo uint8 (H', W', 3) RGB, homography float64 (3, 3) from ``page`` to photo
        pixels).
    """
    rng = np.random.default_rng(seed)
    rgb = page if page.ndim == 3 else cv2.cvtColor(page, cv2.COLOR_GRAY2RGB)
    h, w = rgb.shape[:2]
    tint = np.array([1.0, rng.uniform(0.95, 0.99), rng.uniform(0.86, 0.95)], np.float32)
    paper = rgb.astype(np.float32) * tint
    portrait = h >= w
    out_h, out_w = (long_side, int(long_side * 0.75)) if portrait else (int(long_side * 0.75),
                                                                         long_side)  # fmt: skip
    hom = _photo_homography((h, w), (out_h, out_w), rng)
    img = _on_desk(paper, hom, (out_h, out_w), rng)
    img = img * _lighting((out_h, out_w), long_side, rng)[..., None]
    img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.6, 1.3))
    img = img + rng.normal(0, rng.uniform(3, 8), img.shape).astype(np.float32)
    out = _jpeg(np.clip(img, 0, 255).astype(np.uint8), int(rng.integers(70, 88)))
    return out, hom.astype(np.float64)


def _photo_homography(
    page_shape: tuple[int, int], out_shape: tuple[int, int], rng: np.random.Generator
) -> np.ndarray:
    """float64 (3, 3) from a page of ``page_shape`` (H, W) to a photo of ``out_shape``:
    the page filling 78-92 % of it, off centre, turned by up to 4 degrees, its top
    edge farther from the camera, its corners jittered."""
    h, w = page_shape
    out_h, out_w = out_shape
    fill = float(rng.uniform(0.78, 0.92))
    scale = min(out_w / w, out_h / h) * fill
    cx, cy = out_w / 2 + rng.uniform(-0.04, 0.04) * out_w, out_h / 2
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    base = (src - [w / 2, h / 2]) * scale
    turn = np.deg2rad(rng.uniform(-4, 4))
    rot = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]], np.float32)
    dst = base @ rot.T + [cx, cy]
    # perspective: the top edge farther from the camera than the bottom, plus jitter
    keystone = rng.uniform(0.02, 0.08) * w * scale
    dst[0, 0] += keystone
    dst[1, 0] -= keystone
    dst += rng.uniform(-0.015, 0.015, dst.shape).astype(np.float32) * [out_w, out_h]
    return cv2.getPerspectiveTransform(src, dst.astype(np.float32))


def _on_desk(
    paper: np.ndarray, hom: np.ndarray, out_shape: tuple[int, int], rng: np.random.Generator
) -> np.ndarray:
    """float32 (H', W', 3): the page (``paper``, float32 (H, W, 3)) warped by ``hom``
    onto a desk of a random colour and texture, ``out_shape`` (H', W')."""
    out_h, out_w = out_shape
    h, w = paper.shape[:2]
    desk_colour = rng.uniform(40, 140, 3).astype(np.float32)
    texture = 0.75 + 0.5 * _smooth_field((out_h, out_w), rng, 12)[..., None]
    desk = desk_colour * texture
    warped = cv2.warpPerspective(paper, hom, (out_w, out_h), flags=cv2.INTER_AREA,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))  # fmt: skip
    mask = cv2.warpPerspective(np.ones((h, w), np.float32), hom, (out_w, out_h),
                               flags=cv2.INTER_LINEAR)[..., None]  # fmt: skip
    return warped + (1 - mask) * desk


def _lighting(out_shape: tuple[int, int], long_side: int, rng: np.random.Generator) -> np.ndarray:
    """float64 (H', W') light falling on the photo of ``out_shape``: a gradient down to
    75-95 %, and a soft shadow over one side of a random line, 35-65 % of the light."""
    out_h, out_w = out_shape
    yy, xx = np.mgrid[0:out_h, 0:out_w].astype(np.float32)
    theta = rng.uniform(0, 2 * np.pi)
    grad = np.cos(theta) * xx / out_w + np.sin(theta) * yy / out_h
    grad = (grad - grad.min()) / max(float(np.ptp(grad)), 1e-6)
    dark = rng.uniform(0.35, 0.65)
    light = 1.0 - (1.0 - rng.uniform(0.75, 0.95)) * grad
    # a soft shadow (a hand, the phone) over one side of a random line
    phi = rng.uniform(0, 2 * np.pi)
    px, py = rng.uniform(0.3, 0.7) * out_w, rng.uniform(0.3, 0.7) * out_h
    side = (np.cos(phi) * (xx - px) + np.sin(phi) * (yy - py)) / (0.04 * long_side)
    shadow = 1.0 - (1.0 - dark) / (1.0 + np.exp(-side))
    return light * shadow


def degrade_scan(img: Image.Image, seed: int) -> Image.Image:
    """Make a clean page look scanned (seeded).

    Rotation by 0.5-1.5 degrees either way, a slight Gaussian blur, an illumination
    gradient darkening one side by 10-30 %, and Gaussian noise.  Save the result as
    JPEG (quality ~60) for the last step of the degradation.
    """
    import numpy as np
    from PIL import Image, ImageFilter

    rng = np.random.default_rng(seed)
    angle = float(rng.uniform(0.5, 1.5) * rng.choice([-1.0, 1.0]))
    img = img.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    img = img.filter(ImageFilter.GaussianBlur(radius=float(rng.uniform(0.5, 0.9))))
    a = np.asarray(img, np.float32)
    h, w = a.shape
    theta = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    proj = np.cos(theta) * xx / w + np.sin(theta) * yy / h
    proj = (proj - proj.min()) / max(float(np.ptp(proj)), 1e-6)
    a = a * (1.0 - rng.uniform(0.1, 0.3) * proj) + rng.normal(0, rng.uniform(4, 8), a.shape)
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
