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
