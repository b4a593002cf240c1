"""The reading rules as data: each rule's edits on small lines made by hand, the table,
and a reader with rules switched off."""

from __future__ import annotations

import copy
import functools
from pathlib import Path

import numpy as np
import pytest

from ocr_pipeline import rules
from ocr_pipeline.results import CharResult, LineResult, PageResult
from ocr_pipeline.rules import Drop, LineView, Replace, Unspace

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def _view(
    text: str,
    heights: dict[int, tuple[int, int]] | None = None,
    *,
    spaced: bool = True,
    conf: float = 0.9,
    block: int = 0,
    pieces: dict[int, np.ndarray] | None = None,
) -> LineView:
    """A line of ``text``, 20 px cells on a 24 px line, each character 14 px wide and
    drawn from y=2 to 22 unless ``heights`` gives its (top, bottom); a space in
    ``text`` is a word space after the character before it (``spaced``) or none
    (``spaced=False``: scope ``line``, where spaces are not known)."""
    heights = heights or {}
    results, spaces = [], []
    for ch in text:
        if ch == " ":
            spaces[-1] = True
            continue
        n = len(results)
        top, bottom = heights.get(n, (2, 22))
        box = (20 * n, top, 20 * n + 14, bottom)
        results.append(CharResult(ch, box, conf, [(ch, conf)]))
        spaces.append(False)
    pieces = pieces or {}
    return LineView(tuple(results), tuple(spaces) if spaced else (), (0, 0, 20 * len(results), 24),
                    block, tuple(pieces.get(n) for n in range(len(results))))  # fmt: skip


def test_the_table_is_named_documented_and_in_scope_order():
    names = [r.name for r in rules.ALL_RULES]
    assert len(set(names)) == len(names)
    assert all(r.doc and "\n" not in r.doc for r in rules.ALL_RULES)
    order = [rules.SCOPES.index(r.scope) for r in rules.ALL_RULES]
    assert order == sorted(order)  # the table reads in the order it runs
    assert rules.RULES == rules.without(*rules.OFF_BY_DEFAULT, rules=rules.ALL_RULES)


def test_the_default_table_leaves_out_losing_and_one_genre_rules():
    """The rules that cost characters on the real-document corpus and those that gain
    only on one genre (the manual pages') are in the manpage profile, not the default."""
    default = {r.name for r in rules.RULES}
    assert not default & set(rules.LOSING + rules.ONE_GENRE)
    assert {"mark_widths", "case_by_height", "word_lookalikes", "pictures"} <= default
    assert rules.profile("default") == rules.RULES
    assert rules.profile("manpage") == rules.ALL_RULES
    assert rules.profile("none") == ()
    with pytest.raises(ValueError, match="the profiles are default, manpage, none"):
        rules.profile("roff")


def test_the_manpage_profile_reads_roff_quirks_the_default_leaves():
    """A line "D()MAIN --force" read "D()MAIN —force": the manpage profile's rules mend
    the broken O and the long option's touching hyphens; the default table has neither."""
    text = "D()MAIN —force"
    chars = tuple(CharResult(ch, (12 * n, 2, 12 * n + 10, 22), 0.9, [(ch, 0.9)])
                  for n, ch in enumerate(text) if ch != " ")  # fmt: skip
    line = LineResult((0, 0, 12 * len(text), 24), 0, list(chars),
                      [n == 6 for n in range(len(chars))])  # fmt: skip
    assert rules.run(rules.by_name("broken_o"), [line])[0].text == "DOMAIN —force"
    assert rules.run(rules.by_name("option_dashes"), [line])[0].text == "D()MAIN --force"
    for name in ("broken_o", "option_dashes"):
        assert rules.by_name(name) in rules.profile("manpage")
        assert rules.by_name(name) not in rules.RULES


def test_case_by_height():
    """O as tall as x beside a tall b is a small o."""
    line = _view("bOx", {1: (12, 22), 2: (12, 22)}, spaced=False)
    assert rules.case_by_height(line) == [Replace(1, "o")]


def test_semicolon_tails():
    """A colon reaching 4 px below the foot of the letters beside it is a semicolon."""
    line = _view("ab:cd", {2: (8, 26)}, spaced=False)
    assert rules.semicolon_tails(line) == [Replace(2, ";")]
    assert rules.semicolon_tails(_view("ab:cd", {2: (8, 22)}, spaced=False)) == []


def test_mark_widths():
    """A comma between hanzi with a cell's blank after it is full width; one hugging
    Latin letters on both sides of a Latin line is ASCII."""
    line = _view("中文，字", spaced=False)  # 6 px gaps: no blank cell
    assert rules.mark_widths(line) == [Replace(2, ",")]
    wide = LineView(line.results[:2] + (CharResult(",", (40, 16, 44, 22), 0.9, [(",", 0.9)]),
                    CharResult("字", (60, 2, 74, 22), 0.9, [("字", 0.9)])), (), line.box, 0,
                    (None,) * 4)  # fmt: skip
    assert rules.mark_widths(wide) == [Replace(2, "，")]


def test_dash_as_yi():
    assert rules.dash_as_yi(_view("—个", spaced=False)) == [Replace(0, "一")]
    assert rules.dash_as_yi(_view("——个", spaced=False)) == []


def test_ellipsis_dots():
    """An ellipsis on the baseline, read from three pieces, is three full stops."""
    pieces = np.array([[0, 18, 3, 22], [5, 18, 8, 22], [10, 18, 13, 22]], np.int32)
    line = _view("中…", {1: (18, 22)}, spaced=False, pieces={1: pieces})
    (edit,) = rules.ellipsis_dots(line)
    assert (edit.start, edit.end) == (1, 2)
    assert [c.char for c in edit.chars] == ["."] * 3
    assert [c.box for c in edit.chars] == [(0, 18, 3, 22), (5, 18, 8, 22), (10, 18, 13, 22)]
    assert rules.ellipsis_dots(_view("中…", {1: (10, 14)}, spaced=False, pieces={1: pieces})) == []


def test_word_lookalikes():
    assert rules.word_lookalikes(_view("UNlX 系统")) == [Replace(2, "I")]
    assert rules.word_lookalikes(_view("I024 字节")) == [Replace(0, "1")]


def test_pictures():
    lines = (_view("口口", conf=0.2), _view("中文字", conf=0.9))
    assert rules.pictures(lines) == [(0, Drop())]


def test_pair_quotes():
    """A " after an opening “ closes it, unless the next quote of the paragraph is a "
    too ("ASCII" quotes stay ASCII)."""
    lines = (_view('他说“好"'), _view('另一"段', block=1))
    # a curly quote carries its own space: none is left beside it
    assert rules.pair_quotes(lines) == [(0, Replace(4, "”")), (0, Unspace(4)), (0, Unspace(3))]
    assert rules.pair_quotes((_view('他说“好"'), _view('另一"段'))) == []


def test_option_dashes_and_broken_o_splice():
    (m, edit), = rules.option_dashes((_view("和 —force 选项"),))  # fmt: skip
    assert m == 0 and (edit.start, edit.end, edit.spaces) == (1, 2, (False, False))
    assert [c.char for c in edit.chars] == ["-", "-"]
    assert [c.box for c in edit.chars] == [(20, 2, 27, 22), (27, 2, 34, 22)]
    (m, edit), = rules.broken_o((_view("CREATE D()MAIN"),))  # fmt: skip
    assert (edit.start, edit.end, edit.spaces) == (7, 9, (False,))
    assert edit.chars[0].char == "O" and edit.chars[0].box == (140, 2, 174, 22)


def test_rules_change_nothing_they_are_given():
    """Every rule only returns edits: the lines it sees are as they were."""
    lines = (_view("CREATE D()MAIN 和 —force"), _view('“好" •a UNlX , 口'), _view("口", conf=0.1))
    before = copy.deepcopy([(ln.results, ln.spaces) for ln in lines])
    for r in rules.ALL_RULES:
        if r.scope in ("line", "words"):
            for ln in lines:
                r.apply(ln)
        else:
            r.apply(lines)
    assert [(ln.results, ln.spaces) for ln in lines] == before


def test_run_and_apply_rules_leave_their_input_alone():
    line = LineResult((0, 0, 60, 24), 0, [CharResult(ch, (20 * n, 2, 20 * n + 14, 22), 0.9,
                      [(ch, 0.9)]) for n, ch in enumerate("D()M")], [False] * 4)  # fmt: skip
    decoded = rules.DecodedLine(line.box, 0, tuple(line.chars), (None,) * 4)
    assert rules.run(rules.by_name("broken_o"), [line])[0].text == "DOM"
    assert line.text == "D()M"
    assert [ln.text for ln in rules.apply_rules([decoded], rules.ALL_RULES)] == ["DOM"]
    assert [ln.text for ln in rules.apply_rules([decoded], ())] == ["D()M"]
    assert [c.char for c in decoded.chars] == list("D()M")


def test_without_and_check_refuse_what_is_no_rule():
    assert [r.name for r in rules.without("pictures", "dash_as_yi")] == [
        r.name for r in rules.RULES if r.name not in ("pictures", "dash_as_yi")
    ]
    with pytest.raises(KeyError, match="no rule nope"):
        rules.without("nope")
    with pytest.raises(KeyError, match="no rule broken_o"):  # not in the default table
        rules.without("broken_o")
    with pytest.raises(TypeError):
        rules.check([object()])
    with pytest.raises(ValueError, match="twice"):
        rules.check(rules.RULES + rules.RULES[:1])
    with pytest.raises(ValueError, match="scope"):
        rules.check([rules.Rule("x", "paragraph", rules.dash_as_yi)])  # type: ignore[arg-type]


def test_a_reader_without_rules_reads_the_page_as_decoded():
    """Reader(rules=()) reads, and on the sample paragraph some rule changes the text;
    a page decoded once and finished with the reader's table reads as read() does."""
    from ocr_pipeline import Reader
    from ocr_pipeline.reader import load_source

    reader = Reader()
    bare = Reader(reader.predictor, rules=())
    page = reader.read(SAMPLES / "paragraph.png")[0]
    plain = bare.read(SAMPLES / "paragraph.png")[0]
    assert plain.lines and len(plain.text) > 50
    assert plain.text != page.text
    _, decoded = reader.decode_image(next(load_source(SAMPLES / "paragraph.png")).gray)
    assert PageResult(0, 0, 0.0, reader.apply_rules(decoded)).text == page.text
    fired = [
        r.name for r in rules.RULES
        if PageResult(0, 0, 0.0, reader.apply_rules(decoded, rules.without(r.name))).text
        != page.text
    ]  # fmt: skip
    assert fired  # (with the shipped model: case_by_height and dash_as_yi)


def _dom_page():
    """A corpus of one scanned page whose truth is "DOM", decoded as "D()M", and the
    rules' applier without language model or non-text filter."""
    from benchmarks import rules as ablation
    from benchmarks.corpus import Entry

    chars = tuple(CharResult(ch, (20 * n, 2, 20 * n + 14, 22), 0.9, [(ch, 0.9)])
                  for n, ch in enumerate("D()M"))  # fmt: skip
    decoded = [rules.DecodedLine((0, 0, 80, 24), 0, chars, (None,) * 4)]
    entry = Entry("x/p1-scan", "x", "p", 1, "scan", "dev", "", "")
    corpora = {"c": [ablation.Page(entry, "DOM", decoded)]}
    return corpora, functools.partial(rules.apply_rules, bigram=None, nontext=None)


def test_the_ablation_counts_what_each_rule_saves():
    """On a page whose truth is "DOM", read "D()M": broken_o saves two characters, the
    other rules nothing, and the whole table two."""
    from benchmarks import rules as ablation

    corpora, finish = _dom_page()
    gains, base = ablation.ablate(corpora, finish, rules.ALL_RULES)
    assert base == {"c": 0}
    by_rule = {g.rule: g for g in gains}
    assert by_rule["broken_o"].by_corpus == {"c": 2} and by_rule["broken_o"].pages == 1
    assert by_rule["(all)"].total == 2
    assert all(g.total == 0 for g in gains if g.rule not in ("broken_o", "(all)"))
    header, rows = ablation._breakdown(gains, corpora, "variant")
    assert header == ["rule", "c:scan"] and ["broken_o", "+2"] in rows


def test_add_one_counts_what_a_rule_off_by_default_would_save():
    """The same page: broken_o is off by default; added alone to the default table at
    its place it saves two characters; the rules of the default are not measured."""
    from benchmarks import rules as ablation

    corpora, finish = _dom_page()
    gains, base = ablation.add_one(corpora, finish)
    assert base == {"c": 2}
    by_rule = {g.rule: g for g in gains}
    assert set(by_rule) == {r.name for r in rules.ALL_RULES} - {r.name for r in rules.RULES}
    assert by_rule["broken_o"].total == 2 and by_rule["broken_o"].pages == 1
    table = [r.name for r in ablation.with_rule("broken_o")]
    assert table == [r.name for r in rules.ALL_RULES if r in rules.RULES or r.name == "broken_o"]


def test_read_rules_picks_a_profile():
    """pageocr read --rules: none reads as Reader(rules=()), default as Reader();
    an unknown profile is a bad option (exit 2) naming the profiles."""
    from typer.testing import CliRunner

    from ocr_pipeline import Reader
    from ocr_pipeline.cli import app

    runner = CliRunner()
    sample = str(SAMPLES / "paragraph.png")
    bad = runner.invoke(app, ["read", "--rules", "roff", sample])
    assert bad.exit_code == 2 and "--rules must be one of default, manpage, none" in bad.output
    reader = Reader()
    for name, table in (("none", ()), ("default", rules.RULES)):
        res = runner.invoke(app, ["read", "--rules", name, sample])
        assert res.exit_code == 0, res.output
        want = Reader(reader.predictor, rules=table).read(sample)[0].text
        assert "".join(res.stdout.split()) == "".join(want.split())
    assert Reader(reader.predictor, rules="none").rules == ()
    with pytest.raises(ValueError, match="no rules profile"):
        Reader(rules="roff")
