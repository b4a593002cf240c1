"""Font faces: discovery, the characters each face really draws, train / held-out split.

A face is one font in a file (a ``.ttc`` holds several).  Its coverage of a
charset is the characters that have a cmap entry *and* a non-empty outline, so
training never sees tofu boxes or blanks.  Faces are split by family: the
held-out families never reach a training step and measure generalisation.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import ImageFont

from recognizer.charset import Charset

log = logging.getLogger(__name__)

FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")

#: Families never used for training by default; each has same-style siblings
#: among the training fonts (WenKai ~ UKai / KaitiM, SungtiL ~ UMing / Noto
#: Serif, Zen Hei ~ Micro Hei / Noto Sans, Liberation Serif ~ DejaVu Serif /
#: Latin Modern Roman).
DEFAULT_HELDOUT = ("LXGW WenKai", "AR PL SungtiL GB", "WenQuanYi Zen Hei", "Liberation Serif")

#: Faces skipped by default: regional variants whose glyph shapes differ from
#: the mainland standard, maths fonts, and the optical sizes of Latin Modern
#: other than 10 pt (near duplicates).
_SKIP_FAMILY_SUFFIXES = (" JP", " KR", " TC", " HK", " TW", " MBE")
_SKIP_FAMILY_WORDS = ("Math",)

#: The regional faces ``discover(regional=True)`` keeps: Taiwan and Hong Kong glyph
#: shapes (Noto CJK TC / HK, AR PL UMing / UKai TW / HK), in which traditional
#: documents are printed. Not JP / KR (other scripts' shapes) nor TW MBE (the TW
#: face again, with a few more characters).
REGIONAL_SUFFIXES = (" TC", " HK", " TW")

_LATIN_MODERN_KEPT = ("Latin Modern Roman", "Latin Modern Sans", "Latin Modern Mono")

DEFAULT_FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "/usr/share/texmf/fonts/opentype/public/lm",
    "~/.local/share/fonts",
    "~/.fonts",
)


class FontError(ValueError):
    """A font file that cannot be used."""


@dataclass(frozen=True)
class Face:
    """One font face.

    Attributes:
        path: font file.
        index: face index inside a collection (0 for single-face files).
        family: family name from the name table.
        style: subfamily name.
        split: ``"train"`` or ``"heldout"``.
    """

    path: str
    index: int
    family: str
    style: str
    split: str = "train"

    @property
    def name(self) -> str:
        return f"{self.family} {self.style}".strip()

    def load(self, size: int) -> ImageFont.FreeTypeFont:
        return ImageFont.truetype(self.path, size, index=self.index)


def read_faces(path: str | os.PathLike, heldout: Sequence[str] = DEFAULT_HELDOUT) -> list[Face]:
    """All faces of one font file.

    Raises:
        FontError: the file is missing or not a font FreeType can open.
    """
    path = str(path)
    if not os.path.isfile(path):
        raise FontError(f"font file {path} does not exist")
    faces = []
    index = 0
    while True:
        try:
            font = ImageFont.truetype(path, 16, index=index)
        except FileNotFoundError:
            raise FontError(f"font file {path} does not exist") from None
        except OSError as err:
            if index == 0:
                raise FontError(f"{path} is not a font file FreeType can read ({err})") from None
            break
        family, style = font.getname()
        family = family or Path(path).stem
        faces.append(Face(path, index, family, style or "", split_of(family, heldout)))
        index += 1
        if not path.lower().endswith((".ttc", ".otc")):
            break
    return faces


def split_of(family: str, heldout: Sequence[str]) -> str:
    """``"heldout"`` when the family starts with one of the held-out names."""
    return "heldout" if any(family.startswith(h) for h in heldout) else "train"


def is_regional(face: Face) -> bool:
    """A Taiwan or Hong Kong face (:data:`REGIONAL_SUFFIXES`), skipped by default."""
    return face.family.endswith(REGIONAL_SUFFIXES)


def _wanted(face: Face) -> bool:
    if face.family.endswith(_SKIP_FAMILY_SUFFIXES):
        return False
    if any(w in face.family for w in _SKIP_FAMILY_WORDS):
        return False
    if face.family.startswith("Latin Modern") and (
        face.family not in _LATIN_MODERN_KEPT or not face.style.startswith("10 ")
    ):
        return False
    return True


def font_files(dirs: Iterable[str | os.PathLike]) -> list[Path]:
    """Font files below the given directories (or the given files), sorted."""
    out: list[Path] = []
    for d in dirs:
        p = Path(d).expanduser()
        if p.is_file():
            out.append(p)
        elif p.is_dir():
            out.extend(f for f in p.rglob("*") if f.suffix.lower() in FONT_SUFFIXES)
    return sorted(set(out))


def system_font_dirs() -> list[str]:
    """Directories fontconfig knows of, plus the usual ones."""
    dirs = list(DEFAULT_FONT_DIRS)
    try:
        res = subprocess.run(
            ["fc-list", "--format", "%{file}\n"], capture_output=True, text=True, timeout=30
        )
        dirs += sorted({str(Path(f).parent) for f in res.stdout.split("\n") if f})
    except (OSError, subprocess.SubprocessError):
        pass
    return dirs


def discover(
    paths: Iterable[str | os.PathLike] | None = None,
    heldout: Sequence[str] = DEFAULT_HELDOUT,
    select_all: bool = False,
    regional: bool = False,
) -> list[Face]:
    """Faces found in the given files/directories (default: the system's fonts).

    Args:
        paths: font files or directories; None for fontconfig's directories.
        heldout: family-name prefixes to put in the held-out split.
        select_all: keep regional variants and other faces skipped by default.
        regional: keep the Taiwan and Hong Kong faces (:func:`is_regional`) too.

    Returns:
        Faces sorted by family, style. Unreadable files are skipped with a warning
        when scanning directories; an explicitly named bad file raises FontError.
    """
    named = list(paths) if paths is not None else None
    files = font_files(named if named is not None else system_font_dirs())
    faces: list[Face] = []
    for f in files:
        try:
            faces.extend(read_faces(f, heldout))
        except FontError as err:
            if named is not None and Path(f).is_file() and str(f) in {str(Path(p)) for p in named}:
                raise
            log.warning("skipping %s", err)
    if not select_all:
        faces = [f for f in faces if _wanted(f) or (regional and is_regional(f))]
    return sorted(faces, key=lambda f: (f.family, f.style, f.path, f.index))


def coverage(face: Face, charset: Charset) -> str:
    """The characters of ``charset`` that ``face`` really draws, in charset order.

    A character counts when the face's cmap maps it to a glyph and that glyph
    has ink (FreeType would otherwise draw the .notdef box or nothing).
    """
    from fontTools.ttLib import TTFont, TTLibError

    try:
        tt = TTFont(face.path, fontNumber=face.index, lazy=True)
        cmap = tt.getBestCmap() or {}
    except (TTLibError, OSError, AssertionError) as err:
        raise FontError(f"cannot read the cmap of {face.path}: {err}") from None
    font = face.load(32)
    out = []
    for ch in charset.chars:
        if ord(ch) in cmap and font.getmask(ch).getbbox() is not None:
            out.append(ch)
    return "".join(out)
