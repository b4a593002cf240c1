"""benchmarks.web: the further web prints for development never take a document that is
test anywhere, nor one the main corpus prints."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from benchmarks import corpus, web


def _fake_pages() -> dict[str, list[Path]]:
    """Shuffled-looking document lists of two packages, as web._pages gives them."""
    names = [f"ch{i:02d}.zh-cn.html" for i in (4, 1, 12, 6, 10, 11, 8, 9, 5, 7, 2, 3)]
    pages = [f"page{i}.html" for i in range(40)]
    return {"debref": [Path(n) for n in names], "gimp": [Path(n) for n in pages]}


def test_dev_prints_are_dev_by_both_keys_and_after_the_printed_ones():
    pages = _fake_pages()
    picked = web.dev_prints(pages, 5)
    assert [f.name for f in picked["debref"]] == ["ch02.zh-cn.html"]  # the only dev-dev one
    assert 0 < len(picked["gimp"]) <= 5
    for name, files in picked.items():
        for f in files:
            assert f not in pages[name][: web.PRINTED]
            assert corpus.split_of(f"web-{name}", f.stem, 0, True) == "dev"
            stem = f"{name}-{f.stem.replace('.', '-')}"
            assert corpus.split_of("webprint", stem, 0, True) == "dev"
    # a document dev as a screenshot but test as a print is left out
    assert corpus.split_of("web-debref", "ch01.zh-cn", 0, True) == "dev"
    assert not web.dev_only("debref", Path("ch01.zh-cn.html"))


def test_dev_prints_leave_the_main_prints_alone():
    pages = _fake_pages()
    before = {k: v[: web.PRINTED] for k, v in pages.items()}
    web.dev_prints(pages, 3)
    assert {k: v[: web.PRINTED] for k, v in pages.items()} == before


def test_build_refuses_web_and_webprint_dev_together(tmp_path):
    from benchmarks.__main__ import app

    out = CliRunner().invoke(app, ["docs", "build", "-o", str(tmp_path),
                                   "--sources", "web,webprint-dev"])  # fmt: skip
    assert out.exit_code == 2


def test_pinned_pages_come_back_and_a_missing_one_is_reported(tmp_path):
    """docs pin writes the PDF pages of a built corpus; a build takes exactly those
    pages back from the candidates (not a fresh choice), and says which are missing."""
    from benchmarks.docs import docs_app

    def entry(source, doc, page, split, chars="x.chars.json"):
        return corpus.Entry(f"{source}/{doc}-p{page}", source, doc, page, "pdf150", split,
                            str(tmp_path / "i.png"), str(tmp_path / "t.txt"),
                            str(tmp_path / chars) if chars else "")  # fmt: skip

    entries = [entry("debref", "d", 3, "dev"), entry("debref", "d", 9, "test"),
               entry("screen", "s", 1, "dev", chars="")]  # fmt: skip
    corpus.write_manifest(entries, tmp_path)
    out = tmp_path / "pins.json"
    res = CliRunner().invoke(docs_app, ["pin", str(tmp_path), "-o", str(out)])
    assert res.exit_code == 0, res.output
    pins = corpus.read_pins(out)
    assert pins == {"debref": {("d", 2, "dev"), ("d", 8, "test")}}
    splits = {2: "dev", 8: "test"}
    cands = [corpus.PdfPage("debref", "d", "d.pdf", k, splits.get(k, "dev")) for k in range(12)]
    chosen, missing = corpus.pinned(cands, pins["debref"])
    assert [(p.doc, p.page) for p in chosen] == [("d", 2), ("d", 8)] and missing == []
    chosen, missing = corpus.pinned(cands[:5], pins["debref"])
    assert [p.page for p in chosen] == [2] and missing == [("d", 8, "test")]
    assert corpus.read_pins(tmp_path / "none.json") == {}


def test_the_split_all_takes_every_entry():
    """`--split all` reads every page in `docs run` and in `rules ablate` alike (ablate read
    none: it compared the split's name literally)."""
    assert corpus.in_split("dev", "dev") and corpus.in_split("test", "all")
    assert not corpus.in_split("test", "dev")
