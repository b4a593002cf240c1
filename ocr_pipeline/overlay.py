"""Draw what was read on the page: character boxes coloured by confidence, text above them."""

from __future__ import annotations

import functools
import subprocess
from collections import Counter
from pathlib import Path

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


def overlay_name(path: Path, source: str, number: int, twins: bool = False) -> Path:
    """Where page ``number`` of input ``source`` is drawn when a run reads several pages:
    ``NAME-SRC-N.ext`` beside ``path`` (NAME.ext), SRC the input's file name without its
    extension (with it when ``twins``: another input of the run has the same stem),
    ``stdin`` for standard input.

    >>> overlay_name(Path("out/ov.png"), "scans/a.pdf", 2)
    PosixPath('out/ov-a-2.png')
    >>> overlay_name(Path("ov.png"), "a.jpg", 1, twins=True)
    PosixPath('ov-a.jpg-1.png')
    """
    src = "stdin" if source == "<stdin>" else Path(source).name if twins else Path(source).stem
    return path.with_name(f"{path.stem}-{src}-{number}{path.suffix}")


class OverlayWriter:
    """Writes each page's overlay under the name ``read --overlay`` promises: the path
    itself when the run reads one page, :func:`overlay_name` for each page when it reads
    several (several inputs, or one input with several pages).

    With one input its first page is held, drawn, until a second page is read or the
    run ends: only then is it known which name it takes.

    Args:
        path: the ``--overlay`` path; its extension names the image type.
        sources: the run's inputs as their pages name them (``Page.source``).
    """

    def __init__(self, path: Path, sources: list[str]) -> None:
        self.path = path
        self.several = len(sources) > 1
        stems = Counter(Path(s).stem for s in sources)
        self.twins = {s for s in sources if stems[Path(s).stem] > 1}
        self._held: tuple[str, int, Image.Image] | None = None
        self.written: list[Path] = []

    def page(self, source: str, number: int, gray: np.ndarray, result: PageResult) -> None:
        """Draw one page read and write it (or hold it: see the class)."""
        img = draw_overlay(gray, result)
        if self.several:
            self._write(overlay_name(self.path, source, number, source in self.twins), img)
        elif self._held is None and not self.written:
            self._held = (source, number, img)
        else:
            if self._held is not None:
                held_source, held_number, held = self._held
                self._held = None
                self._write(overlay_name(self.path, held_source, held_number), held)
            self._write(overlay_name(self.path, source, number), img)

    def close(self) -> None:
        """Write a held page: the run read one page, drawn to the path itself."""
        if self._held is not None:
            img, self._held = self._held[2], None
            self._write(self.path, img)

    def _write(self, target: Path, img: Image.Image) -> None:
        from ocr_pipeline.outputs import encode_image, write_bytes

        write_bytes(target, encode_image(img, target))
        self.written.append(target)
