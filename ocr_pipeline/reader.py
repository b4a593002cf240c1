"""The Python API: one :class:`Reader` holds what reading needs and reads pages.

A reader is built from its parts, each passed in or the shipped one by default,
loaded the first time it is needed:

- the crop predictor (:class:`CropPredictor`): the shipped LiteRT model, a model
  path, or any object with ``charset``, ``input_size`` and ``predict``;
- the character bigram language model (:mod:`ocr_pipeline.language`);
- the English word list (:mod:`ocr_pipeline.lexicon`);
- the non-text line filter (:mod:`ocr_pipeline.nontext`);
- the reading rules, the corrections made after decoding (:mod:`ocr_pipeline.rules`).

``None`` switches a stage off (``rules=()`` every rule). Two readers with different
parts can live in one process: nothing a reader is configured with is global.

>>> from ocr_pipeline import Reader                         # doctest: +SKIP
>>> reader = Reader()                                       # doctest: +SKIP
>>> page = reader.read("samples/paragraph.png")[0]          # doctest: +SKIP
>>> print(page.text)                                        # doctest: +SKIP
>>> for line in page.lines:                                 # doctest: +SKIP
...     for c in line.chars:
...         print(c.char, c.box, round(c.confidence, 3), c.alternatives)
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Literal, Protocol, TypeAlias, TypeVar, cast, runtime_checkable

import numpy as np

from ocr_pipeline import images
from ocr_pipeline import language as language_mod
from ocr_pipeline import latin as latin_mod
from ocr_pipeline import lexicon as lexicon_mod
from ocr_pipeline import nontext as nontext_mod
from ocr_pipeline.images import MAX_PIXELS, Page
from ocr_pipeline.language import BigramModel
from ocr_pipeline.latin import WordReader
from ocr_pipeline.nontext import NonText
from ocr_pipeline.pipeline import CharResult, LineResult, PageResult, decode_page
from ocr_pipeline.rules import RULES, DecodedLine, Rule, apply_rules
from ocr_pipeline.rules import check as check_rules
from ocr_pipeline.rules import profile as rules_profile
from ocr_pipeline.script import SCRIPTS, ScriptError, convert_page, converter, with_script
from ocr_pipeline.vertical import is_vertical, read_columns

if TYPE_CHECKING:
    from PIL import Image

    from recognizer.charset import Charset

__all__ = ["SHIPPED", "CharResult", "CropPredictor", "LineResult", "PageResult", "Reader", "Source"]


@runtime_checkable
class CropPredictor(Protocol):
    """What the page reader needs from a character classifier.

    :class:`recognizer.runtime.Predictor` (LiteRT or TensorFlow) is one; a test
    fake or another runtime is another, if it provides these three.
    """

    @property
    def charset(self) -> Charset:
        """The classes: ``charset.chars[i]`` is class ``i``'s character."""
        ...

    @property
    def input_size(self) -> int:
        """Side S of the square crops ``predict`` takes, in pixels."""
        ...

    def predict(self, crops: np.ndarray) -> np.ndarray:
        """Probabilities of each class for each crop.

        Args:
            crops: uint8 (N, S, S), ink white on black.

        Returns:
            float32 (N, len(charset)); rows sum to 1.
        """
        ...


#: The default of a stage: the part that ships with pageocr, loaded when first needed.
SHIPPED: Literal["shipped"] = "shipped"

#: What :meth:`Reader.read` reads: a path to an image or PDF file, the bytes of one,
#: a page as a uint8 numpy array (gray, BGR or BGRA) or a PIL image.
Source: TypeAlias = (
    "str | os.PathLike[str] | bytes | bytearray | memoryview | np.ndarray | Image.Image"
)

T = TypeVar("T")

#: How a page's text runs: ``auto`` (vertical when :func:`ocr_pipeline.vertical.is_vertical`
#: says so), ``horizontal`` (lines, left to right) or ``vertical`` (columns, right to left).
LAYOUTS = ("auto", "horizontal", "vertical")


class Reader:
    """Reads pages: image -> lines -> characters with boxes, confidences and top-k.

    Args:
        model: the crop predictor: None for the shipped model, a shipped model's
            name (``"fast"``) or a model path (loaded with
            :class:`recognizer.runtime.Predictor` on ``runtime``), or any
            :class:`CropPredictor`.
        language: the bigram model that re-reads hanzi from context
            (:class:`ocr_pipeline.language.BigramModel`); ``"shipped"`` for the
            shipped one, None to read without.
        lexicon: the English word list that corrects Latin words one letter or one
            cut from a word (lower-case words); ``"shipped"`` or None as above.
        nontext: the filter dropping lines that are pictures or marks, not text
            (:class:`ocr_pipeline.nontext.NonText`); ``"shipped"`` or None as above.
        latin: the word reader that reads runs of Latin letters again whole
            (:class:`ocr_pipeline.latin.WordReader`); ``"shipped"`` or None as above.
        top_k: alternatives kept per character (at least 1).
        rules: the corrections made after decoding, in order
            (:data:`ocr_pipeline.rules.RULES`), or the name of a profile
            (:data:`ocr_pipeline.rules.PROFILES`: ``"default"``, ``"manpage"`` for every
            rule, ``"none"``); ``()`` reads without any, ``rules.without("pictures")``
            without one.
        runtime: ``"auto"``, ``"litert"`` or ``"tf"``, for a model given by path.
        threads: LiteRT's threads, for a model given by path; None: one per CPU.
        script: ``"auto"`` (every class of the model), ``"simplified"`` or
            ``"traditional"`` (the classes of the other script get probability 0;
            :mod:`ocr_pipeline.script`).
        convert: ``"s2t"`` or ``"t2s"``: the text read converted by OpenCC; None
            (the default) keeps the forms read.
        layout: one of :data:`LAYOUTS`; a vertical page's lines are its columns, right
            to left (:mod:`ocr_pipeline.vertical`).

    Raises:
        TypeError: ``model`` is neither a path nor a :class:`CropPredictor`, or a
            rule is no :class:`ocr_pipeline.rules.Rule`.
        ValueError: ``top_k`` below 1, two rules of one name, or no profile of the
            name given as ``rules``;
            (:class:`ocr_pipeline.script.ScriptError`) an unknown script or
            conversion, or ``convert`` without the ``opencc`` package.

    The parts are loaded once per reader, the first time they are needed
    (:meth:`preload` starts the word lists early); a model path that cannot be used
    raises :class:`recognizer.runtime.ModelError` then.

    >>> reader = Reader(language=None, lexicon=None)        # doctest: +SKIP
    >>> [p.text for p in reader.pages("scan.pdf")]          # doctest: +SKIP
    """

    def __init__(
        self,
        model: CropPredictor | str | os.PathLike | None = None,
        *,
        language: BigramModel | Literal["shipped"] | None = SHIPPED,
        lexicon: frozenset[str] | Literal["shipped"] | None = SHIPPED,
        nontext: NonText | Literal["shipped"] | None = SHIPPED,
        latin: WordReader | Literal["shipped"] | None = SHIPPED,
        top_k: int = 3,
        rules: Sequence[Rule] | str = RULES,
        runtime: str = "auto",
        threads: int | None = None,
        script: str = "auto",
        convert: str | None = None,
        layout: str = "horizontal",
    ) -> None:
        if model is not None and not isinstance(model, (str, os.PathLike, CropPredictor)):
            raise TypeError(
                "model must be None, a model name or path, or a predictor with charset, "
                f"input_size and predict; got {type(model).__name__}"
            )
        for name, value, kind in (
            ("language", language, BigramModel),
            ("lexicon", lexicon, frozenset),
            ("nontext", nontext, NonText),
            ("latin", latin, WordReader),
        ):
            if value is not None and not _is_shipped(value) and not isinstance(value, kind):
                raise TypeError(
                    f"{name} must be {kind.__name__}, 'shipped' or None; got {type(value).__name__}"
                )
        if top_k < 1:
            raise ValueError(f"top_k must be at least 1; got {top_k}")
        self.top_k = top_k
        self.rules = check_rules(rules_profile(rules) if isinstance(rules, str) else rules)
        self.runtime = runtime
        self.threads = threads
        if script not in SCRIPTS:
            raise ScriptError(f"unknown script {script!r}; use one of {', '.join(SCRIPTS)}")
        self.script = script
        if layout not in LAYOUTS:
            raise ValueError(f"unknown layout {layout!r}; use one of {', '.join(LAYOUTS)}")
        self.layout = layout
        self.convert = None if convert is None else converter(convert)
        self._parts: dict[str, object] = {
            "predictor": model,
            "language": language,
            "lexicon": lexicon,
            "nontext": nontext,
            "latin": latin,
        }
        self._locks = {name: threading.Lock() for name in self._parts}

    # -- parts, loaded once --------------------------------------------------------------

    def _part(self, name: str, load: Callable[[object], T]) -> T:
        """The part ``name``, made by ``load`` from what was given, the first time."""
        with self._locks[name]:  # a part each: preloading one does not hold up another
            value = self._parts[name]
            if not (isinstance(value, _Loaded)):
                value = _Loaded(load(value))
                self._parts[name] = value
            return value.part  # type: ignore[return-value]

    @property
    def predictor(self) -> CropPredictor:
        """The crop predictor (loads the model on first use)."""
        return self._part("predictor", self._load_predictor)

    def _load_predictor(self, model: object) -> CropPredictor:
        if isinstance(model, CropPredictor) and not isinstance(model, (str, os.PathLike)):
            return with_script(model, self.script)
        from recognizer.runtime import Predictor

        path = cast("str | os.PathLike | None", model)
        loaded = Predictor(path, runtime=self.runtime, threads=self.threads)
        return with_script(loaded, self.script)

    @property
    def language(self) -> BigramModel | None:
        """The bigram language model, or None when off (or none ships)."""
        return self._part(
            "language",
            lambda v: language_mod.shipped() if _is_shipped(v) else cast("BigramModel | None", v),
        )

    @property
    def lexicon(self) -> frozenset[str] | None:
        """The English word list, or None when off."""
        return self._part(
            "lexicon",
            lambda v: lexicon_mod.words() if _is_shipped(v) else cast("frozenset[str] | None", v),
        )

    @property
    def nontext(self) -> NonText | None:
        """The non-text line filter, or None when off (or none ships)."""
        return self._part(
            "nontext",
            lambda v: nontext_mod.shipped() if _is_shipped(v) else cast("NonText | None", v),
        )

    @property
    def latin(self) -> WordReader | None:
        """The word reader for Latin runs, or None when off (or none ships)."""
        return self._part(
            "latin",
            lambda v: (
                latin_mod.shipped(self.threads) if _is_shipped(v) else cast("WordReader | None", v)
            ),
        )

    def preload(self) -> threading.Thread:
        """Start loading the language model and the word list in a background thread
        (~30 ms), so that they are ready when the first page's lines are decoded,
        after its segmentation and classification.

        Returns:
            The (daemon) thread, already started.
        """
        thread = threading.Thread(target=lambda: (self.language, self.lexicon), daemon=True)
        thread.start()
        return thread

    # -- reading -------------------------------------------------------------------------

    def read_image(self, gray: np.ndarray) -> PageResult:
        """Read one page given as pixels.

        Args:
            gray: uint8 (H, W) page, either polarity.

        Returns:
            The page's lines and characters (boxes in ``gray``'s deskewed frame,
            ``PageResult.to_input`` maps them back); no lines for a page without text.
        """
        if self.layout == "vertical" or (self.layout == "auto" and is_vertical(gray)):
            page = read_columns(self, gray)
        else:
            page, decoded = self.decode_image(gray)
            page.lines = self.apply_rules(decoded)
        return page if self.convert is None else convert_page(page, self.convert)

    def decode_image(self, gray: np.ndarray) -> tuple[PageResult, list[DecodedLine]]:
        """A page read up to the rules: the page without lines, and its lines as
        decoded. :meth:`apply_rules` finishes it; :meth:`read_image` does both.
        (A page decoded once can be finished with several tables of rules.)"""
        return decode_page(gray, self.predictor, self.top_k, bigram=self.language,
                           words=self.lexicon, latin=self.latin)  # fmt: skip

    def apply_rules(
        self, decoded: Sequence[DecodedLine], rules: Sequence[Rule] | None = None
    ) -> list[LineResult]:
        """The lines of text of a page decoded by :meth:`decode_image`, corrected by
        ``rules`` (this reader's own when None), the language model and the
        non-text filter (:func:`ocr_pipeline.rules.apply_rules`)."""
        table = self.rules if rules is None else check_rules(rules)
        return apply_rules(decoded, table, bigram=self.language, nontext=self.nontext)

    def read_page(self, page: Page) -> PageResult:
        """Read a page loaded by :mod:`ocr_pipeline.images`; the result carries its
        source and number."""
        result = self.read_image(page.gray)
        result.source, result.number = page.source, page.number
        return result

    def pages(
        self,
        source: Source,
        *,
        pages: Iterable[int] | str | None = None,
        dpi: int = 200,
        max_pixels: int = MAX_PIXELS,
    ) -> Iterator[PageResult]:
        """Read the pages of ``source`` one at a time: each is loaded, read and
        yielded before the next is loaded, so a long PDF takes one page's memory.

        Args:
            source: a path to an image (PNG, JPEG, TIFF, WebP, BMP, GIF, PNM) or PDF,
                the bytes of such a file, a uint8 numpy array ((H, W) gray,
                (H, W, 3) BGR or (H, W, 4) BGRA) or a PIL image (its current frame).
            pages: 1-based page numbers to read (a PDF's or multi-page TIFF's), or
                a string such as ``"1,3-5"``; None for all.
            dpi: rasterisation resolution of PDF pages.
            max_pixels: the largest page; a larger image is refused, a larger PDF
                page is rendered at the resolution that fits.

        Yields:
            One :class:`PageResult` per page, with ``source`` and ``number`` set.

        Raises:
            TypeError: ``source`` is none of the kinds above.
            ValueError: an array of another dtype or shape, a bad page range, or
                (:class:`ocr_pipeline.images.InputError`) a file that cannot be read.
        """
        loaded = load_source(source, pages=pages, dpi=dpi, max_pixels=max_pixels)
        return (self.read_page(page) for page in loaded)

    def read(
        self,
        source: Source,
        *,
        pages: Iterable[int] | str | None = None,
        dpi: int = 200,
        max_pixels: int = MAX_PIXELS,
    ) -> list[PageResult]:
        """Read every page of ``source`` (see :meth:`pages` for the arguments).

        Returns:
            The pages read, in order (one for an image).

        >>> Reader().read("samples/paragraph.png")[0].text    # doctest: +SKIP
        """
        return list(self.pages(source, pages=pages, dpi=dpi, max_pixels=max_pixels))


def _is_shipped(value: object) -> bool:
    return isinstance(value, str) and value == SHIPPED


class _Loaded:
    """A part of a reader once loaded (None included: a stage switched off)."""

    __slots__ = ("part",)

    def __init__(self, part: object) -> None:
        self.part = part


def load_source(
    source: Source,
    *,
    pages: Iterable[int] | str | None = None,
    dpi: int = 200,
    max_pixels: int = MAX_PIXELS,
) -> Iterator[Page]:
    """The pages of any :data:`Source` as grayscale :class:`ocr_pipeline.images.Page`,
    loaded one at a time from a file or bytes.

    Raises:
        TypeError: ``source`` is none of the kinds :meth:`Reader.pages` reads (at once).
        ValueError: see :meth:`Reader.pages` (at once for an array or PIL image, as
            the pages are loaded for a file).
    """
    wanted = images.parse_pages(pages) if isinstance(pages, str) else pages
    if isinstance(source, (str, os.PathLike)):
        return images.load_pages(source, dpi, wanted, max_pixels)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return images.load_bytes(bytes(source), dpi, wanted, max_pixels)
    if isinstance(source, np.ndarray):
        return _one_page(images.array_gray(source, max_pixels), "<array>", wanted)
    if _is_pil_image(source):
        return _one_page(_pil_gray(source, max_pixels), "<image>", wanted)
    raise TypeError(
        "source must be a path (str or os.PathLike), bytes, a numpy array or a PIL image; "
        f"got {type(source).__name__}"
    )


def _one_page(gray: np.ndarray, name: str, pages: Iterable[int] | None) -> Iterator[Page]:
    """The one page of an in-memory image, if ``pages`` asks for no other."""
    images.check_page_numbers(pages, 1, name)
    return iter([Page(gray, name, 1)])


def _is_pil_image(obj: object) -> bool:
    """Whether ``obj`` is a PIL image, without importing PIL when it was not."""
    import sys

    pil = sys.modules.get("PIL.Image")
    return pil is not None and isinstance(obj, pil.Image)


def _pil_gray(img: Image.Image, max_pixels: int) -> np.ndarray:
    if img.width * img.height > max_pixels:
        raise ValueError(
            f"an image of {img.width * img.height:,} pixels is larger than the limit "
            f"of {max_pixels:,} pixels"
        )
    return images.to_gray(img)
