"""Charsets: the named GB2312 / ASCII / punctuation sets, unions, custom files, JSON."""

from __future__ import annotations

import pytest

from recognizer.charset import PUNCT, Charset, CharsetError, script_of


@pytest.mark.parametrize(
    ("spec", "size", "first", "last"),
    [
        ("gb2312-1", 3755, "啊", "座"),
        ("gb2312-2", 3008, "亍", "齄"),
        ("gb2312", 6763, "啊", "齄"),
        ("ascii", 94, "!", "~"),
        ("digits", 10, "0", "9"),
        ("tgscc", 8105, "一", "蠼"),
        ("tgscc-1", 3500, "一", "矗"),
        ("tgscc-2", 3000, "乂", "齉"),
        ("tgscc-3", 1605, "亍", "蠼"),
        ("big5-1", 5401, "一", "籲"),
        ("punct-t", 4, "﹁", "﹄"),
    ],
)
def test_named_sets(spec, size, first, last):
    cs = Charset.from_spec(spec)
    assert len(cs) == size
    assert (cs.chars[0], cs.chars[-1]) == (first, last)
    assert cs.spec == spec


@pytest.mark.parametrize("spec", ["gb2312-1", "gb2312"])
def test_gb2312_is_in_code_order(spec):
    codes = [ch.encode("gb2312") for ch in Charset.from_spec(spec).chars]
    assert all(len(c) == 2 for c in codes)
    assert all(a < b for a, b in zip(codes, codes[1:], strict=False))
    # a few well-known neighbours
    assert codes[0] == b"\xb0\xa1" and codes[1] == "阿".encode("gb2312")


def test_gb2312_is_level1_then_level2():
    assert Charset.from_spec("gb2312").chars == (
        Charset.from_spec("gb2312-1").chars + Charset.from_spec("gb2312-2").chars
    )


def test_ascii_is_printable_without_space():
    chars = Charset.from_spec("ascii").chars
    assert " " not in chars
    assert all(33 <= ord(c) <= 126 for c in chars)


def test_default_union_keeps_order_without_duplicates():
    union = Charset.from_spec("gb2312-1+ascii+punct")
    parts = [Charset.from_spec(p).chars for p in ("gb2312-1", "ascii", "punct")]
    assert union.chars == "".join(parts)
    assert len(union) == 3755 + 94 + len(PUNCT)
    assert union.index("啊") == 0 and union.index("!") == 3755


@pytest.mark.parametrize(
    ("spec", "chars"),
    [
        (
            "digits+ascii",
            "0123456789" + "".join(chr(c) for c in range(33, 127) if not chr(c).isdigit()),
        ),
        ("digits+digits", "0123456789"),
        (" digits + punct ", "0123456789" + PUNCT),
    ],
)
def test_union_drops_later_duplicates(spec, chars):
    assert Charset.from_spec(spec).chars == chars


def test_custom_file_ignores_whitespace_and_duplicates(tmp_path):
    path = tmp_path / "chars.txt"
    path.write_text("永 一\n二\t一\r\n三 永\u3000a\n\n", encoding="utf-8")
    cs = Charset.from_spec(str(path))
    assert cs.chars == "永一二三a"
    assert cs.index("二") == 2
    assert "一" in cs and "啊" not in cs


def test_custom_file_without_txt_suffix(tmp_path):
    path = tmp_path / "my.chars"
    path.write_text("川儿", encoding="utf-8")
    assert Charset.from_spec(str(path)).chars == "川儿"


def test_custom_file_with_bom(tmp_path):
    path = tmp_path / "notepad.txt"
    path.write_bytes("\ufeff永一".encode())
    assert Charset.from_spec(str(path)).chars == "永一"


@pytest.mark.parametrize("spec", ["gb2312-1+ascii+punct", "ascii", "digits+punct"])
def test_json_round_trip(spec):
    cs = Charset.from_spec(spec)
    back = Charset.from_json(cs.to_json())
    assert back == cs
    assert (back.chars, back.spec) == (cs.chars, cs.spec)
    assert back.index(cs.chars[-1]) == len(cs) - 1


def test_json_keeps_non_ascii_readable():
    assert "永" in Charset("永一", "x").to_json()


def _write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize(
    ("make_spec", "words"),
    [
        (lambda d: "gb2312-3", ["unknown charset", "gb2312-3"]),
        (lambda d: "ascii+klingon", ["unknown charset", "klingon"]),
        (lambda d: "nosuchset", ["unknown charset", "nosuchset"]),
        (lambda d: "+", ["empty charset spec"]),
        (lambda d: _write(d, "empty.txt", b""), ["empty.txt", "no characters"]),
        (lambda d: _write(d, "blank.txt", b" \n\t\r\n"), ["blank.txt", "no characters"]),
        (lambda d: str(d / "missing.txt"), ["missing.txt", "does not exist"]),
        (lambda d: _write(d, "gbk.txt", "中文字".encode("gbk")), ["gbk.txt", "not UTF-8"]),
    ],
    ids=[
        "unknown",
        "unknown-in-union",
        "unknown-bare",
        "empty-spec",
        "empty-file",
        "whitespace-file",
        "missing-file",
        "non-utf8-file",
    ],  # fmt: skip
)
def test_bad_specs_raise_charset_error(tmp_path, make_spec, words):
    with pytest.raises(CharsetError) as info:
        Charset.from_spec(make_spec(tmp_path))
    message = str(info.value)
    for word in words:
        assert word in message
    assert "\n" not in message


@pytest.mark.parametrize(("chars", "word"), [("", "empty"), ("永永", "duplicate")])
def test_constructor_validates(chars, word):
    with pytest.raises(CharsetError, match=word):
        Charset(chars, "x")


def test_charset_error_is_a_value_error():
    assert issubclass(CharsetError, ValueError)


@pytest.mark.parametrize(
    ("ch", "script"),
    [("永", "hanzi"), ("一", "hanzi"), ("a", "ascii"), ("~", "ascii"), ("!", "ascii"),
     ("，", "punct"), ("。", "punct"), ("“", "punct"), (" ", "punct"), ("①", "punct")],
)  # fmt: skip
def test_script_of(ch, script):
    assert script_of(ch) == script


# ------------------------------------------------------------ the larger sets (issue 22)


def test_tgscc_levels_partition_the_table():
    levels = [Charset.from_spec(f"tgscc-{k}").chars for k in (1, 2, 3)]
    assert "".join(levels) == Charset.from_spec("tgscc").chars
    # everyday characters are level 1; those issue 22 found misread are level 2
    assert all(c in levels[0] for c in "的一是了我不人在他有这个上们来到时大")
    assert {c: next(k for k, lv in enumerate(levels, 1) if c in lv) for c in "婷瑜伽憧嗯"} == {
        "婷": 2, "瑜": 2, "伽": 2, "憧": 2, "嗯": 2}  # fmt: skip


def test_tgscc_against_gb2312():
    """6,638 of GB2312's 6,763 are in the standard table; those left out are radicals
    (丨 丶 氵) and forms the 2013 table replaced, three of them from level 1."""
    tg, gb = set(Charset.from_spec("tgscc").chars), set(Charset.from_spec("gb2312").chars)
    assert len(gb & tg) == 6638
    assert set(Charset.from_spec("gb2312-1").chars) - tg == set("矽硷磺")  # 硅 碱 are in
    assert "婷" in tg and "婷" not in Charset.from_spec("gb2312-1")


def test_tgscc_has_characters_outside_the_basic_block():
    outside = [c for c in Charset.from_spec("tgscc").chars if not "\u4e00" <= c <= "\u9fff"]
    assert len(outside) == 273
    assert all(script_of(c) == "hanzi" for c in outside)
    assert any(ord(c) > 0xFFFF for c in outside)  # plane 2-3 characters (𬉼) count too


def test_traditional_sets():
    trad = Charset.from_spec("trad")
    tt = Charset.from_spec("tgscc-t")
    big5 = Charset.from_spec("big5-1")
    assert len(tt) == 8329 and len(trad) == 8513
    assert trad.chars[: len(big5)] == big5.chars  # Big5 first, then OpenCC's extra forms
    assert set(trad.chars) == set(big5.chars) | set(tt.chars)
    for c in "說這體張繁發髮後":
        assert c in trad
    for c in "说这体张":  # simplified-only forms are not traditional
        assert c not in trad
    assert all(c.encode("big5") for c in big5.chars)


def test_s2t_forms_are_those_of_opencc():
    from recognizer.charset import s2t_forms

    forms = s2t_forms()
    assert forms["说"] == ("說",) and forms["这"] == ("這",)
    assert forms["发"][:2] == ("發", "髮")  # one simplified form, two traditional ones
    assert "中" not in forms  # written the same
    assert set(forms) <= set(Charset.from_spec("tgscc").chars)


def test_unions_for_traditional_text():
    cs = Charset.from_spec("trad+ascii+punct+punct-t")
    for c in "「」『』﹁﹂，。A1":
        assert c in cs
    both = Charset.from_spec("tgscc+trad+ascii+punct+punct-t")
    assert len(both) == 11282
    assert both.chars.startswith(Charset.from_spec("tgscc").chars)


def test_shipped_tables_name_their_sources():
    from recognizer.charset import DATA_DIR

    head = (DATA_DIR / "tgscc.txt").read_text("utf-8").split("\n")[:12]
    assert any("kTGH" in ln and "Unihan" in ln for ln in head)
    assert any("Unicode License" in ln for ln in head)
    head = (DATA_DIR / "tgscc-s2t.tsv").read_text("utf-8").split("\n")[:10]
    assert any("STCharacters" in ln for ln in head)
    assert any("Apache License 2.0" in ln for ln in head)


@pytest.mark.parametrize(
    ("ch", "hanzi"), [("㧐", True), ("𬉼", True), ("「", False), ("﹁", False)]
)
def test_script_of_extensions(ch, hanzi):
    assert (script_of(ch) == "hanzi") is hanzi


def test_tiers_of_the_large_charset():
    """Each class of tgscc+trad+ascii+punct+punct-t in one tier; level-1 is GB2312
    level 1 (today's model's hanzi), traditional the forms outside the mainland sets."""
    from collections import Counter

    from recognizer.charset import TIERS, tier_of, traditional_tier

    cs = Charset.from_spec("tgscc+trad+ascii+punct+punct-t")
    counts = Counter(tier_of(c) for c in cs.chars)
    assert set(counts) <= set(TIERS)
    assert counts == {"level-1": 3754, "level-2": 3092, "level-3": 1277, "traditional": 3003,
                      "ascii": 94, "punct": 62}  # fmt: skip
    mainland = set(Charset.from_spec("tgscc+gb2312").chars)
    trad = traditional_tier()
    assert len(trad) == 3003 and not set(trad) & mainland
    assert set(trad) == {c for c in cs.chars if tier_of(c) == "traditional"}
    assert [tier_of(c) for c in "啊硷婷卬說𠀀A，"] == [
        "level-1", "level-1", "level-2", "level-3", "traditional", "hanzi-other", "ascii", "punct"
    ]  # fmt: skip
