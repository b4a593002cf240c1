"""English word list: a Latin word one change away from a word is corrected."""

import gzip
from types import SimpleNamespace

import numpy as np
import pytest

from ocr_pipeline import lexicon
from ocr_pipeline.decode import Candidate
from tools import build_lexicon

VOCAB = frozenset({"start", "smart", "port", "support", "default", "ls"})


def test_shipped_list_is_english_and_lower_case():
    words = lexicon.words()
    assert len(words) > 50_000
    assert {"start", "support", "kernel", "information"} <= words
    assert all(w.islower() for w in list(words)[:1000])


@pytest.mark.parametrize(
    "word, want",
    [("stan", True), ("suppon", True), ("start", False), ("START", False), ("ls", False)]
    + [("fstab2", False), ("a_b", False)],
)
def test_needs_check(word, want):
    assert lexicon.needs_check(word, VOCAB) is want


def test_best_variant_takes_the_cheapest_english_word_within_the_margin():
    variants = [("stap", 0.1, "p"), ("smart", 1.2, "smart"), ("start", 0.3, "start")]
    assert lexicon.best_variant(variants, VOCAB) == "start"
    too_dear = [("start", lexicon.MARGIN + 0.5, "start")]
    assert lexicon.best_variant(too_dear, VOCAB) is None
    assert lexicon.best_variant([("ls", 0.0, "ls")], VOCAB) is None  # under MIN_WORD


def test_build_keeps_lower_case_letter_words(tmp_path):
    src = tmp_path / "words"
    src.write_text("Stan\nstart\nstart's\nzebra\nnaïve\n", encoding="utf-8")
    out = tmp_path / "english.txt.gz"
    build_lexicon.main([str(src), "-o", str(out)])
    assert gzip.open(out, "rt").read().split() == ["start", "zebra"]
    assert lexicon.words(out) == frozenset({"start", "zebra"})


def _scorer(reads: dict[Candidate, tuple]):
    """A scorer whose candidates read as given: char and probability, then a
    second choice and its probability (default X, 0.01)."""
    from ocr_pipeline.pipeline import _Scorer
    from segmentation.segment import Line, Segmentation

    blank = np.zeros((20, 200), np.uint8)
    seg = Segmentation(gray=blank, ink=blank, mask=blank)
    seg.lines = [Line(box=(0, 0, 200, 20), block=0)]
    reads = {c: (*r, "X", 0.01)[:4] for c, r in reads.items()}
    chars = "".join(dict.fromkeys("".join(r[0] + r[2] for r in reads.values())))
    scorer = _Scorer(seg, SimpleNamespace(charset=SimpleNamespace(chars=chars)), 2)
    for c, (ch, p, alt, alt_p) in reads.items():
        scorer.top[(0, c)] = ([chars.index(ch), chars.index(alt)], [p, alt_p])
        scorer.scores[(0, c)] = float(np.log(p)) - 1.0
    return scorer


@pytest.mark.parametrize("r_prob, want", [(0.8, "start"), (0.05, "stan")])
def test_a_cut_that_makes_a_word_wins_when_the_recogniser_allows(r_prob, want):
    """s t a, then pieces 3 and 4 read together as n or apart as r t."""
    from ocr_pipeline.pipeline import _english_words

    cands = [Candidate(k, k + 1, (10 * k, 5, 10 * k + 8, 15)) for k in range(5)]
    cands.append(Candidate(3, 5, (30, 5, 48, 15)))
    reads = dict(zip(cands, [("s", 0.9), ("t", 0.9), ("a", 0.9), ("r", r_prob), ("t", 0.9)]))
    reads[cands[5]] = ("n", 0.9)
    scorer = _scorer(reads)
    scores = np.array([scorer.scores[(0, c)] for c in cands])
    path, choice = _english_words(
        [0, 1, 2, 5], cands, [(c,) for c in cands], scores, scorer, 0, 20.0, lexicon.words()
    )
    text = "".join(scorer.char(0, cands[n]) for n in path)
    assert text == want and choice == {}


@pytest.mark.parametrize("f_prob, want", [(0.3, "DEFAULT"), (0.02, "DEEAULT")])
def test_a_second_choice_that_makes_a_word_wins_when_the_recogniser_allows(f_prob, want):
    from ocr_pipeline.pipeline import _english_words

    cands = [Candidate(k, k + 1, (10 * k, 5, 10 * k + 8, 15)) for k in range(7)]
    letters = [(ch, 0.9) for ch in "DEEAULT"]
    letters[2] = ("E", 0.5, "F", f_prob)
    scorer = _scorer(dict(zip(cands, letters)))
    scores = np.array([scorer.scores[(0, c)] for c in cands])
    reads = [(c,) for c in cands]
    path, choice = _english_words(
        list(range(7)), cands, reads, scores, scorer, 0, 20.0, lexicon.words()
    )
    got = [choice[c][0] if c in choice else scorer.char(0, c) for c in cands]
    assert path == list(range(7)) and "".join(got) == want


@pytest.mark.parametrize(
    "word, t_prob, want",
    [
        ("DAIABASE", 0.05, "DATABASE"),  # T is not in the I's top-k, but makes a long word
        ("daiabase", 0.001, "daiabase"),  # too unlikely even so
        ("DAIABASE", 0.001, "DATABASE"),  # ... but inside a word of capitals a bar may
        ("DAlABASE", 0.001, "DATABASE"),  # be the stem of a T whose bar a scan wore away
        ("SAIE", 0.05, "SAIE"),  # SATE: a short word needs a top-k letter
        ("DATABAS1", 0.001, "DATABAS1"),  # a digit ending a word stays (SHA1)
        ("DA1ABASE", 0.05, "DATABASE"),  # a T worn to a 1 is still a letter of the word
    ],
)
def test_an_unsure_letter_of_a_long_word_may_become_any_letter(word, t_prob, want):
    from ocr_pipeline.pipeline import _english_words

    vocab = frozenset({"database", "sate"})
    cands = [Candidate(k, k + 1, (10 * k, 5, 10 * k + 8, 15)) for k in range(len(word))]
    letters = [(ch, 0.9) for ch in word]
    at = next(n for n, ch in enumerate(word) if ch in "Iil1")  # the unsure letter
    letters[at] = (word[at], 0.3, "l" if word[at] == "1" else "1", 0.2)
    scorer = _scorer(dict(zip(cands, letters)))
    scorer.letters[(0, cands[at])] = {"I": 0.1, "T": t_prob, "t": t_prob, "l": 0.1}
    scores = np.array([scorer.scores[(0, c)] for c in cands])
    reads = [(c,) for c in cands]
    path, choice = _english_words(
        list(range(len(word))), cands, reads, scores, scorer, 0, 20.0, vocab
    )
    got = [choice[c][0] if c in choice else scorer.char(0, c) for c in cands]
    assert path == list(range(len(word))) and "".join(got) == want


@pytest.mark.parametrize(
    "word, want",
    [
        ("Iist", "list"),  # l read as I with confidence, l not even in the top-k
        ("fiIe", "file"),
        ("smaII", "small"),  # both bars, read alike: one change
        ("aII", "aII"),  # too short a word to change (lexicon.MIN_WORD)
        ("lPv", "lPv"),  # no English word either way
        ("Iine", "line"),
    ],
)
def test_a_bar_read_as_i_or_l_is_what_makes_the_word(word, want):
    from ocr_pipeline.pipeline import _english_words

    vocab = frozenset({"list", "file", "all", "small", "line"})
    cands = [Candidate(k, k + 1, (10 * k, 5, 10 * k + 8, 15)) for k in range(len(word))]
    scorer = _scorer(dict(zip(cands, [(ch, 0.95) for ch in word])))
    scores = np.array([scorer.scores[(0, c)] for c in cands])
    path, choice = _english_words(
        list(range(len(word))), cands, [(c,) for c in cands], scores, scorer, 0, 20.0, vocab
    )
    got = [choice[c][0] if c in choice else scorer.char(0, c) for c in cands]
    assert "".join(got) == want


def test_letters_that_two_touching_letters_look_like_are_tried_as_two():
    """A scan's "rt" reads n with confidence; only a split gives the word list a
    "start" to choose."""
    from ocr_pipeline.pipeline import _maybe_joined

    cands = [Candidate(k, k + 1, (10 * k, 5, 10 * k + 8, 15)) for k in range(4)]
    scorer = _scorer(dict(zip(cands, [("s", 0.9), ("n", 0.9), ("a", 0.9), ("m", 0.9)])))
    assert _maybe_joined(cands, scorer, 0, []) == [cands[1], cands[3]]
    assert _maybe_joined(cands, scorer, 0, [0]) == [cands[0], cands[1], cands[3]]
