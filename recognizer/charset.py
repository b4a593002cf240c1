"""Charsets: which characters a model can output, with stable ids.

Named sets combine with ``+`` (``gb2312-1+ascii+punct``, the default); a path to
a UTF-8 text file gives a custom set (every non-space character, in file order,
duplicates dropped).  A charset is saved with every model as its string of
characters, so ids never depend on this module's tables at load time.

The sets (:data:`NAMES`): ``gb2312-1`` (3,755), ``gb2312-2`` (3,008), ``gb2312``
(6,763), from the GB2312 codec; ``tgscc`` (8,105, 通用规范汉字表) and its levels
``tgscc-1`` (3,500), ``tgscc-2`` (3,000), ``tgscc-3`` (1,605), from the shipped
``data/tgscc.txt``; ``big5-1`` (5,401, Big5's common characters, from the big5 codec);
``tgscc-t`` (8,329: each tgscc character's traditional forms by OpenCC, shipped as
``data/tgscc-s2t.tsv``; a character OpenCC leaves alone is its own form); ``trad``
(8,513: ``big5-1`` then the rest of ``tgscc-t``); ``ascii``, ``digits``, ``punct`` and
``punct-t`` (the vertical quotation marks ﹁﹂﹃﹄ of traditional text); ``reject``, the
one reserved class :data:`REJECT` ("not a character") that a model trained with it
outputs for pictures' pieces, rules and noise.

>>> cs = Charset.from_spec("gb2312-1")
>>> len(cs), cs.chars[0], cs.chars[-1]
(3755, '啊', '座')
>>> len(Charset.from_spec("tgscc")), len(Charset.from_spec("trad+ascii+punct+punct-t"))
(8105, 8669)
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SPEC = "gb2312-1+ascii+punct"

#: Punctuation and symbols of Chinese text that are not ASCII.
PUNCT = (
    "，。、；：？！“”‘’（）《》〈〉【】「」『』〔〕—…·～￥％＃＆＊＋－／＝＜＞•°×÷→←↑↓①②③④⑤⑥⑦⑧⑨⑩"
)


#: Quotation marks of traditional (vertical) text beyond PUNCT's 「」『』.
PUNCT_T = "﹁﹂﹃﹄"

#: The reserved class "not a character" (U+FFFC OBJECT REPLACEMENT CHARACTER, which
#: stands for an embedded object in text): a model whose charset holds it (the named
#: set ``reject``) was trained to output it for cuts of pictures, rules and noise; the
#: reader never writes it. Models without it read as before.
REJECT = "\ufffc"

#: The shipped character tables (see their headers for sources and licences).
DATA_DIR = Path(__file__).with_name("data")

#: Last number of each level of 通用规范汉字表: 1-3500, 3501-6500, 6501-8105.
TGSCC_LEVELS = (3500, 6500, 8105)


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


def _big5_common() -> str:
    """Big5's 5,401 common characters (0xA440-0xC67E), in code order."""
    out = []
    for hi in range(0xA4, 0xC7):
        for lo in (*range(0x40, 0x7F), *range(0xA1, 0xFF)):
            if (hi, lo) > (0xC6, 0x7E):
                break
            try:
                out.append(bytes([hi, lo]).decode("big5"))
            except UnicodeDecodeError:
                continue
    return "".join(out)


def _table_lines(name: str) -> list[str]:
    """The lines of a shipped table, without its ``#`` header and blank lines."""
    text = (DATA_DIR / name).read_text(encoding="utf-8")
    return [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


@functools.cache
def tgscc() -> str:
    """The 8,105 characters of 通用规范汉字表 in the table's order."""
    return "".join(ln.strip() for ln in _table_lines("tgscc.txt"))


@functools.cache
def s2t_forms() -> dict[str, tuple[str, ...]]:
    """OpenCC's traditional forms of the tgscc characters it writes differently,
    preferred form first (``s2t_forms()["说"] == ("說",)``)."""
    out = {}
    for ln in _table_lines("tgscc-s2t.tsv"):
        key, _, forms = ln.partition("\t")
        out[key] = tuple(forms.split())
    return out


def _tgscc_traditional() -> str:
    forms = s2t_forms()
    return _dedupe("".join("".join(forms.get(c, (c,))) for c in tgscc()))


_TABLES: dict[str, Callable[[], str]] = {
    "gb2312-1": lambda: _gb2312_rows(16, 55),
    "gb2312-2": lambda: _gb2312_rows(56, 87),
    "gb2312": lambda: _gb2312_rows(16, 87),
    "tgscc": tgscc,
    "tgscc-1": lambda: tgscc()[: TGSCC_LEVELS[0]],
    "tgscc-2": lambda: tgscc()[TGSCC_LEVELS[0] : TGSCC_LEVELS[1]],
    "tgscc-3": lambda: tgscc()[TGSCC_LEVELS[1] :],
    "big5-1": _big5_common,
    "tgscc-t": _tgscc_traditional,
    "trad": lambda: _dedupe(_big5_common() + _tgscc_traditional()),
    "ascii": lambda: "".join(chr(c) for c in range(33, 127)),
    "digits": lambda: "0123456789",
    "punct": lambda: PUNCT,
    "punct-t": lambda: PUNCT_T,
    "reject": lambda: REJECT,
}

NAMES = tuple(_TABLES)


def _named(name: str) -> str:
    if name not in _TABLES:
        raise CharsetError(
            f"unknown charset {name!r}; use one of {', '.join(NAMES)}, a '+' union of them, "
            "or the path of a UTF-8 text file of characters"
        )
    return _TABLES[name]()


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


#: The tiers ``tier_of`` sorts a large charset's characters into, in order.
TIERS = ("level-1", "level-2", "level-3", "traditional", "hanzi-other", "ascii", "punct")


@functools.cache
def _tiers() -> dict[str, str]:
    out: dict[str, str] = {}
    for tier, chars in (
        ("level-1", _named("gb2312-1")),
        ("level-2", _named("gb2312") + tgscc()[: TGSCC_LEVELS[1]]),
        ("level-3", tgscc()),
        ("traditional", _named("trad")),
    ):
        for ch in chars:
            out.setdefault(ch, tier)
    return out


def tier_of(ch: str) -> str:
    """The tier of a character in a large charset's evaluation (:data:`TIERS`).

    ``level-1``: GB2312 level 1 (today's model's hanzi); ``level-2``: the rest of GB2312
    and of 通用规范汉字表 levels 1-2; ``level-3``: the rest of 通用规范汉字表;
    ``traditional``: the rest of ``trad`` (:func:`traditional_tier`); ``hanzi-other``:
    any other ideograph; then ``ascii`` and ``punct`` as :func:`script_of`.

    >>> [tier_of(c) for c in "说婷卬說A，"]
    ['level-1', 'level-2', 'level-3', 'traditional', 'ascii', 'punct']
    """
    tier = _tiers().get(ch)
    if tier is not None:
        return tier
    script = script_of(ch)
    return "hanzi-other" if script == "hanzi" else script


@functools.cache
def traditional_tier() -> str:
    """The characters of ``trad`` outside the mainland sets (``tgscc`` and ``gb2312``),
    in ``trad``'s order: the forms only traditional text uses (說, 這, 體)."""
    return "".join(ch for ch, tier in _tiers().items() if tier == "traditional")


def script_of(ch: str) -> str:
    """Coarse class of a character: 'hanzi', 'ascii' or 'punct' (anything else).

    Hanzi are the CJK unified ideographs of the basic block and its extensions (273 of
    通用规范汉字表's characters are outside the basic block, e.g. 㧐 or 𬉼).
    """
    if is_ideograph(ch):
        return "hanzi"
    if 33 <= ord(ch) < 127:
        return "ascii"
    return "punct"


def is_ideograph(ch: str) -> bool:
    """A CJK unified ideograph: the basic block, extension A, or extensions B-H (planes 2-3).

    >>> is_ideograph("说"), is_ideograph("㧐"), is_ideograph("𬉼"), is_ideograph("「")
    (True, True, True, False)
    """
    o = ord(ch)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x20000 <= o <= 0x3FFFF
