"""The character language model: the Viterbi over alternatives, building, the shipped file."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from ocr_pipeline import language as L
from recognizer.charset import Charset
from tools import build_bigram

#: A hand-made corpus: 模式 is a common word, 棋 only a word of its own.
WORDS = [("模式", 5000.0), ("棋", 200.0), ("的", 30000.0), ("中国", 8000.0), ("冲突", 2000.0)]
CHARS = "模棋式的中国冲突民"


@pytest.fixture(scope="module")
def tiny():
    return build_bigram.build(WORDS, CHARS, "test")


def test_strong_bigram_evidence_picks_a_lower_alternative(tiny):
    chars = ["的", "棋", "式"]
    alts = [[("的", 0.9)], [("棋", 0.40), ("模", 0.30)], [("式", 0.9)]]
    assert L.correct(chars, alts, tiny) == ["的", "模", "式"]


def test_weak_evidence_keeps_the_top1(tiny):
    # no word holds 棋 or 模 beside 的: only the unigrams differ, not by enough
    chars = ["的", "棋", "的"]
    alts = [[("的", 0.9)], [("棋", 0.40), ("模", 0.30)], [("的", 0.9)]]
    assert L.correct(chars, alts, tiny) == chars
    # a strong context does not overturn a confident CNN
    alts = [[("的", 0.9)], [("棋", 0.97), ("模", 0.011)], [("式", 0.9)]]
    assert L.correct(["的", "棋", "式"], alts, tiny) == ["的", "棋", "式"]
    # nor picks an alternative below MIN_ALT_PROB
    alts = [[("的", 0.9)], [("棋", 0.5), ("模", 0.001)], [("式", 0.9)]]
    assert L.correct(["的", "棋", "式"], alts, tiny) == ["的", "棋", "式"]


def test_a_torn_cnn_lets_the_context_decide(tiny):
    """棋 0.14 against 模 0.13: weak evidence (模 is the commoner character) is
    enough, where against a CNN sure of 棋 (0.40 to 0.30) it is not."""
    torn = [[("国", 0.9)], [("棋", 0.14), ("模", 0.13)]]
    assert L.correct(["国", "棋"], torn, tiny) == ["国", "模"]
    sure = [[("国", 0.9)], [("棋", 0.40), ("模", 0.30)]]
    assert L.correct(["国", "棋"], sure, tiny) == ["国", "棋"]


def test_non_hanzi_are_boundaries_and_never_change(tiny):
    # "x" could be read 模 before 式, but only hanzi are re-read
    chars = ["x", "式"]
    alts = [[("x", 0.5), ("模", 0.45)], [("式", 0.9)]]
    assert L.correct(chars, alts, tiny) == chars
    # a comma cuts the context: 棋 , 式 is not 模式
    chars = ["棋", ",", "式"]
    alts = [[("棋", 0.40), ("模", 0.30)], [(",", 0.9)], [("式", 0.9)]]
    assert L.correct(chars, alts, tiny) == chars


def test_characters_changed_by_an_earlier_rule_stay(tiny):
    chars = ["模", "式"]  # the CNN's top-1 was 棋, a rule made it 模: kept as it is
    alts = [[("棋", 0.6), ("民", 0.3)], [("式", 0.9)]]
    assert L.correct(chars, alts, tiny) == ["模", "式"]


def test_viterbi_uses_both_neighbours(tiny):
    # 中 vs 冲 is decided by the right neighbour, 国 vs 民 by the left
    chars = ["中", "突", "的", "中", "民"]
    alts = [
        [("中", 0.4), ("冲", 0.35)],
        [("突", 0.9)],
        [("的", 0.9)],
        [("中", 0.9)],
        [("民", 0.4), ("国", 0.35)],
    ]
    assert L.correct(chars, alts, tiny) == ["冲", "突", "的", "中", "国"]


def test_log_prob_is_a_distribution(tiny):
    v = len(CHARS)
    for a in range(-1, v):
        p = np.exp(L.BigramModel.log_prob(tiny, np.full(v, a), np.arange(v)))
        assert p.sum() == pytest.approx(1.0, abs=0.02)
        assert (p > 0).all()


def test_correct_line_updates_the_confidence(tiny):
    @dataclass
    class R:
        char: str
        confidence: float
        alternatives: list

    results = [R("棋", 0.4, [("棋", 0.4), ("模", 0.3)]), R("式", 0.9, [("式", 0.9)])]
    assert L.correct_line(["棋", "式"], results, None) == ["棋", "式"]  # no model: as read
    assert results[0].confidence == 0.4
    assert L.correct_line(["棋", "式"], results, tiny) == ["模", "式"]
    assert results[0].confidence == 0.3 and results[1].confidence == 0.9


def test_build_and_save_round_trip(tmp_path, tiny):
    text = "".join(f"{w} {int(f)} n\n" for w, f in WORDS) + "AT&T 3 nz\n"
    (tmp_path / "dict.txt").write_text(text, "utf-8")
    model = build_bigram.build(build_bigram.read_jieba_dict(tmp_path / "dict.txt"), CHARS, "test")
    L.save(model, tmp_path / "m.npz")
    back = L.load(tmp_path / "m.npz")
    assert back.chars == CHARS and back.source == "test"
    a, b = np.meshgrid(np.arange(-1, len(CHARS)), np.arange(len(CHARS)))
    np.testing.assert_allclose(
        back.log_prob(a.ravel(), b.ravel()), tiny.log_prob(a.ravel(), b.ravel()), rtol=1e-5
    )


def test_traditional_forms_get_the_pairs_of_their_words():
    opencc = pytest.importorskip("opencc")
    converts = [opencc.OpenCC(f"{name}.json").convert for name in ("s2t", "s2tw")]
    words = list(build_bigram.with_traditional([("发现", 9000.0), ("里面", 5000.0)], converts))
    assert words == [("发现", 9000.0), ("發現", 9000.0), ("里面", 5000.0), ("裏面", 5000.0),
                     ("裡面", 5000.0)]  # fmt: skip
    model = build_bigram.build(words, "发现發現里裏裡面", "test")
    ix = model.index
    after = model.log_prob(
        np.array([ix["發"], ix["发"], ix["裡"]]), np.array([ix["現"]] * 2 + [ix["面"]])
    )
    # 發現 is a word of the traditional script; 发現 mixes the scripts and is no word
    assert after[0] > after[1] + 3 and after[2] > after[1] + 3


def test_shipped_model_loads_and_covers_the_charset():
    # its load time is a benchmark figure: python -m benchmarks timings
    assert L.DATA.exists() and L.DATA.stat().st_size < 3_000_000
    model = L.load()
    hanzi = Charset.from_spec("gb2312-1+tgscc+trad").chars  # every hanzi of zh11k too
    assert set(hanzi) <= set(model.index)
    assert "jieba" in model.source and "traditional" in model.source
    ix = model.index
    lp = model.log_prob(np.array([ix["模"], ix["冲"]]), np.array([ix["式"], ix["突"]]))
    lq = model.log_prob(np.array([ix["棋"], ix["中"]]), np.array([ix["式"], ix["突"]]))
    assert (lp > lq + 3).all()


def test_the_shipped_model_reads_traditional_words():
    model = L.load()
    ix = model.index
    # 說明 and 發現 are words of the traditional script, as 说明 and 发现 are of the simplified
    good = model.log_prob(np.array([ix["說"], ix["發"]]), np.array([ix["明"], ix["現"]]))
    poor = model.log_prob(np.array([ix["脫"], ix["發"]]), np.array([ix["明"], ix["規"]]))
    assert (good > poor + 3).all()


def test_a_rare_character_the_cnn_is_sure_of_stays(tiny):
    # 缪玥, a name: jieba counts 玥 10 times and 明 222,671 times; the context alone
    # (缪明 is no word either) must not turn a sure 玥 into the common look-alike
    model = L.load()
    alts = [[("缪", 0.95)], [("玥", 0.9), ("明", 0.05)]]
    assert L.correct(["缪", "玥"], alts, model) == ["缪", "玥"]
    # where the CNN is torn, the common character still wins
    alts = [[("缪", 0.95)], [("玥", 0.3), ("明", 0.25)]]
    assert L.correct(["缪", "玥"], alts, model) == ["缪", "明"]


def test_context_scores_favour_words_and_are_bounded(tiny):
    s = L.context_scores([("冲", "突"), ("中", "突"), ("x", "突"), ("模", "式")], tiny)
    assert s[0] > 0 and s[3] > 0  # 冲突, 模式: words
    assert s[1] < s[0]  # 中 does not speak for 突
    assert s[2] == 0.0  # outside the model
    assert np.all(np.abs(s) <= L.PATH_WEIGHT * L.PATH_BOUND + 1e-9)
