"""Contact sheets: rendered samples and labelled crops as one PNG."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from recognizer.charset import Charset
from recognizer.fonts import Face, coverage
from recognizer.render import CLEAN, Augment, render
from segmentation.crops import Mode

#: What a preview shows from each face: hanzi, letters, digits, punctuation.
PREVIEW_CHARS = "永国识别川小行aQgy0l1O，。、“（《：？.'"


def contact_sheet(
    faces: Sequence[Face],
    charset: Charset,
    out: Path,
    size: int = 48,
    seed: int = 0,
    max_faces: int = 8,
) -> Path:
    """One row per face: each preview character clean-line, clean-tight and augmented.

    Faces are picked to span families (train and held-out); characters a face
    does not draw are left out of its row.
    """
    picked = _spread(faces, max_faces)
    label_font = _label_font(faces)
    rows = []
    for face in picked:
        chars = [c for c in PREVIEW_CHARS if c in charset]
        covered = set(coverage(face, Charset("".join(chars), "preview")))
        neigh = "".join(sorted(covered))
        tiles = []
        for i, ch in enumerate(chars):
            if ch not in covered:
                continue
            variants: tuple[tuple[Mode | None, Augment], ...] = (
                ("line", CLEAN),
                ("tight", CLEAN),
                (None, Augment()),
            )
            for mode, aug in variants:
                tiles.append(
                    render(face, ch, seed=seed + i, size=size, mode=mode, aug=aug, neighbours=neigh)
                )
        strip = _grid(tiles, len(tiles), size)
        rows.append(_caption(strip, f"{face.name} [{face.split}]", label_font))
    width = max(r.shape[1] for r in rows)
    sheet = np.vstack(
        [np.pad(r, ((0, 0), (0, width - r.shape[1])), constant_values=40) for r in rows]
    )
    Image.fromarray(sheet).save(out)
    return out


def labelled_sheet(
    items: Sequence[tuple[np.ndarray, str]], out: Path, cols: int = 8, font_path: str | None = None
) -> Path:
    """A grid of crops, each with a caption beneath (e.g. ``"永→水"``)."""
    font = ImageFont.truetype(font_path, 14) if font_path else _label_font([])
    cell = 72
    rows = -(-len(items) // cols)
    sheet = Image.new("L", (cols * cell, rows * (cell + 20)), 40)
    draw = ImageDraw.Draw(sheet)
    for i, (img, text) in enumerate(items):
        x, y = (i % cols) * cell, (i // cols) * (cell + 20)
        tile = Image.fromarray(img).resize((cell - 8, cell - 8), Image.Resampling.NEAREST)
        sheet.paste(tile, (x + 4, y + 4))
        draw.text((x + 4, y + cell - 2), text, fill=255, font=font)
    sheet.save(out)
    return out


def _spread(faces: Sequence[Face], n: int) -> list[Face]:
    by_family: dict[str, Face] = {}
    for f in faces:
        by_family.setdefault(f.family.split(" ")[0] + f.split, f)
    picked = list(by_family.values())
    return picked[:: max(1, len(picked) // n)][:n]


def _label_font(faces: Sequence[Face]) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    probe = Charset("永")
    for f in faces:
        if coverage(f, probe):
            return f.load(14)
    fixture = Path(__file__).resolve().parent.parent / "tests/fixtures/NotoSansSC-subset.otf"
    if fixture.exists():
        return ImageFont.truetype(str(fixture), 14)
    return ImageFont.load_default()


def _grid(tiles: list[np.ndarray], cols: int, size: int) -> np.ndarray:
    if not tiles:
        return np.zeros((size, size), np.uint8)
    padded = [np.pad(t, 1, constant_values=90) for t in tiles]
    return np.hstack(padded[:cols])


def _caption(strip: np.ndarray, text: str, font) -> np.ndarray:
    img = Image.new("L", (max(strip.shape[1], 300), strip.shape[0] + 20), 40)
    ImageDraw.Draw(img).text((2, 2), text, fill=255, font=font)
    img.paste(Image.fromarray(strip), (0, 20))
    return np.asarray(img)
