"""Draw what was read on the page: character boxes coloured by confidence, text above them."""

from __future__ import annotations

import functools
import subprocess

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ocr_pipeline.pipeline import PageResult


@functools.lru_cache(maxsize=1)
def _cjk_font_path() -> str | None:
    """A font that draws Chinese, from fontconfig; None if there is none."""
    try:
        res = subprocess.run(
            ["fc-match", "-f", "%{file}", ":lang=zh-cn"], capture_output=True, text=True, timeout=10
        )
        return res.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def draw_overlay(gray: np.ndarray, page: PageResult) -> Image.Image:
    """The page with a box per character (green: confident, red: not) and the
    recognised character drawn above its box.

    Args:
        gray: uint8 (H, W), the (deskewed) page the boxes refer to.
        page: the reading result.

    Returns:
        An RGB image of the page's size.
    """
    img = Image.fromarray(gray).convert("RGB")
    draw = ImageDraw.Draw(img, "RGBA")
    path = _cjk_font_path()
    for line in page.lines:
        size = max(8, int((line.box[3] - line.box[1]) * 0.6))
        font = ImageFont.truetype(path, size) if path else None
        draw.rectangle(line.box, outline=(60, 60, 255, 160))
        for c in line.chars:
            g = int(255 * c.confidence)
            colour = (255 - g, g, 0, 220)
            x0, y0, x1, y1 = c.box
            draw.rectangle((x0, y0, x1 - 1, y1 - 1), outline=colour)
            if font is not None:
                draw.text(
                    (x0, line.box[1] - 1), c.char, fill=(220, 0, 120, 255), font=font, anchor="ld"
                )
    return img
