"""Charsets: which characters a model can output, with stable ids.

Named sets combine with ``+`` (``gb2312-1+ascii+punct``, the default); a path to
a UTF-8 text file gives a custom set (every non-space character, in file order,
duplicates dropped).  A charset is saved with every model as its string of
characters, so ids never depend on this module's tables at load time.

>>> cs = Charset.from_spec("gb2312-1")
>>> len(cs), cs.chars[0], cs.chars[-1]
(3755, '啊', '座')
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SPEC = "gb2312-1+ascii+punct"

#: Punctuation and symbols of Chinese text that are not ASCII.
PUNCT = (
    "，。、；：？！“”‘’（）《》〈〉【】「」『』〔〕—…·～￥％＃＆＊＋－／＝＜＞•°×÷→←↑↓①②③④⑤⑥⑦⑧⑨⑩"
)


class CharsetError(ValueError):
    """A charset spec or file that cannot be used."""


def _gb2312_rows(first_row: int, last_row: int) -> str:
    """Characters of GB2312 rows (区) first_row..last_row, in code order."""
    out = []
    for row in range(first_row, last_row + 1):
        for cell in range(1, 95):
            try:
                ch = bytes([0xA0 + row, 0xA0 + cell]).decode("gb2312")
            except UnicodeDecodeError:
                continue
            out.append(ch)
    return "".join(out)


def _named(name: str) -> str:
    if name == "gb2312-1":
        return _gb2312_rows(16, 55)
    if name == "gb2312-2":
        return _gb2312_rows(56, 87)
    if name == "gb2312":
        return _gb2312_rows(16, 87)
    if name == "ascii":
        return "".join(chr(c) for c in range(33, 127))
    if name == "digits":
        return "0123456789"
    if name == "punct":
        return PUNCT
    raise CharsetError(
        f"unknown charset {name!r}; use one of {', '.join(NAMES)}, a '+' union of them, "
        "or the path of a UTF-8 text file of characters"
    )


NAMES = ("gb2312-1", "gb2312-2", "gb2312", "ascii", "digits", "punct")


@dataclass(frozen=True)
class Charset:
    """An ordered set of characters; a character's id is its index."""

    chars: str
    spec: str = "custom"
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.chars:
            raise CharsetError(f"charset {self.spec!r} is empty")
        if len(set(self.chars)) != len(self.chars):
            raise CharsetError(f"charset {self.spec!r} has duplicate characters")
        object.__setattr__(self, "_index", {c: i for i, c in enumerate(self.chars)})

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, ch: object) -> bool:
        return ch in self._index

    def index(self, ch: str) -> int:
        """Id of a character (KeyError if absent)."""
        return self._index[ch]

    @classmethod
    def from_spec(cls, spec: str) -> Charset:
        """Build a charset from a name, a '+' union of names, or a text file path.

        Args:
            spec: e.g. ``"gb2312-1+ascii+punct"`` or ``"mychars.txt"``.

        Returns:
            The charset; the union keeps the first occurrence of each character.

        Raises:
            CharsetError: unknown name, unreadable or empty file.
        """
        spec = spec.strip()
        path = Path(spec)
        if path.suffix.lower() == ".txt" or path.is_file():
            return cls(_read_file(path), spec=spec)
        parts = [p.strip() for p in spec.split("+") if p.strip()]
        if not parts:
            raise CharsetError("empty charset spec")
        return cls(_dedupe("".join(_named(p) for p in parts)), spec=spec)

    def to_json(self) -> str:
        return json.dumps({"spec": self.spec, "chars": self.chars}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Charset:
        data = json.loads(text)
        return cls(data["chars"], spec=data.get("spec", "custom"))


def _dedupe(chars: str) -> str:
    return "".join(dict.fromkeys(chars))


def _read_file(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8-sig")  # a BOM is not a character
    except FileNotFoundError:
        raise CharsetError(f"charset file {path} does not exist") from None
    except UnicodeDecodeError:
        raise CharsetError(f"charset file {path} is not UTF-8 text") from None
    except OSError as err:
        raise CharsetError(f"cannot read charset file {path}: {err.strerror}") from None
    chars = _dedupe("".join(text.split()))
    if not chars:
        raise CharsetError(f"charset file {path} holds no characters")
    return chars


def script_of(ch: str) -> str:
    """Coarse class of a character: 'hanzi', 'ascii' or 'punct' (anything else)."""
    if "\u4e00" <= ch <= "\u9fff":
        return "hanzi"
    if 33 <= ord(ch) < 127:
        return "ascii"
    return "punct"
