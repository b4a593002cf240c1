"""``python -m benchmarks charsets``: the shipped character tables and their font coverage.

``tables`` writes ``recognizer/data/tgscc.txt`` (通用规范汉字表) from the Unihan
database's kTGH field and ``recognizer/data/tgscc-s2t.tsv`` (the traditional forms of
those characters) from OpenCC's STCharacters.txt: both sources are public packages, so
the tables can be made again and checked::

    apt-get download unicode-data && dpkg -x unicode-data_*.deb ud
    pip download --no-deps opencc-python-reimplemented==0.1.7 && unzip opencc_python_*.whl -d oc
    python -m benchmarks charsets tables \\
        --unihan ud/usr/share/unicode/Unihan_OtherMappings.txt.bz2 \\
        --opencc oc/opencc/dictionary/STCharacters.txt

``coverage`` measures, for every CJK face fontconfig knows, how many characters of each
named set it draws (cmap entry and ink, as :func:`recognizer.fonts.coverage`), and
writes a Markdown table (docs/charsets.md).
"""

from __future__ import annotations

import bz2
from pathlib import Path

import typer

from recognizer.charset import DATA_DIR, TGSCC_LEVELS, Charset

charsets_app = typer.Typer(no_args_is_help=True, help=__doc__)

TGSCC_HEADER = """\
# 通用规范汉字表 (Table of General Standard Chinese Characters, State Council of the PRC,
# 2013): its 8,105 characters, one a line, in the table's order: line N of the body is
# character number N (1-3500 level 1, 3501-6500 level 2, 6501-8105 level 3).
# Source: the kTGH field ("2013:N") of Unihan_OtherMappings.txt, Unicode Character
# Database 15.0.0 (Debian package unicode-data 15.0.0-1, /usr/share/unicode/).
# © 2022 Unicode®, Inc. Distributed under the Unicode License (Unicode Terms of Use,
# https://www.unicode.org/copyright.html): permission is granted to use, copy, modify and
# distribute the Data Files provided this notice is kept. Modified: only the characters
# with a kTGH value are kept, ordered by their number.
# Made by: python -m benchmarks charsets tables (benchmarks/charsets.py).
"""

S2T_HEADER = """\
# Traditional forms of the 通用规范汉字表 characters (tgscc.txt) that OpenCC writes
# differently: one line per character, "simplified<TAB>traditional forms" (space-separated,
# OpenCC's preferred form first). A character without a line is written the same.
# Source: OpenCC's STCharacters.txt as shipped by opencc-python-reimplemented 0.1.7
# (PyPI), opencc/dictionary/STCharacters.txt.
# OpenCC dictionary data: Copyright (c) Carbo Kuo (BYVoid) and the OpenCC contributors,
# Apache License 2.0 (https://www.apache.org/licenses/LICENSE-2.0). Modified: only the
# entries of tgscc.txt's characters that differ from the character are kept.
# Made by: python -m benchmarks charsets tables (benchmarks/charsets.py).
"""


def tgscc_from_unihan(path: Path) -> str:
    """The 8,105 characters in table order, from a (bz2 or plain) Unihan_OtherMappings."""
    opener = bz2.open if path.suffix == ".bz2" else open
    numbered: list[tuple[int, str]] = []
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if "\tkTGH\t" not in line:
                continue
            code, _, value = line.rstrip("\n").split("\t")
            for item in value.split():
                year, _, number = item.partition(":")
                if year == "2013":
                    numbered.append((int(number), chr(int(code[2:], 16))))
    numbered.sort()
    if [n for n, _ in numbered] != list(range(1, TGSCC_LEVELS[-1] + 1)):
        raise typer.BadParameter(f"{path}: kTGH does not number 1..{TGSCC_LEVELS[-1]}")
    return "".join(ch for _, ch in numbered)


def s2t_entries(path: Path, chars: str) -> list[tuple[str, list[str]]]:
    """OpenCC's entries for ``chars`` whose forms differ from the character itself."""
    table: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, forms = line.partition("\t")
            table[key] = forms.split()
    return [(c, table[c]) for c in chars if c in table and table[c] != [c]]


@charsets_app.command("tables")
def tables_cmd(
    unihan: Path = typer.Option(..., help="Unihan_OtherMappings.txt(.bz2) of unicode-data."),
    opencc: Path = typer.Option(..., help="OpenCC's STCharacters.txt."),
    out: Path = typer.Option(DATA_DIR, help="Folder of the shipped tables."),
) -> None:
    """Write tgscc.txt and tgscc-s2t.tsv from their public sources."""
    chars = tgscc_from_unihan(unihan)
    entries = s2t_entries(opencc, chars)
    out.mkdir(parents=True, exist_ok=True)
    (out / "tgscc.txt").write_text(TGSCC_HEADER + "".join(c + "\n" for c in chars), "utf-8")
    body = "".join(f"{c}\t{' '.join(forms)}\n" for c, forms in entries)
    (out / "tgscc-s2t.tsv").write_text(S2T_HEADER + body, "utf-8")
    typer.echo(f"wrote {out}/tgscc.txt ({len(chars)}) and tgscc-s2t.tsv ({len(entries)} entries)")


#: The sets the coverage table measures, and the union that is drawn once a face.
COVERAGE_SETS = (
    "gb2312-1",
    "gb2312-2",
    "gb2312",
    "tgscc-1",
    "tgscc-2",
    "tgscc-3",
    "tgscc",
    "big5-1",
    "tgscc-t",
    "trad",
    "punct+punct-t",
)


def cjk_faces(min_gb: float = 0.5):
    """Every face on the system (regional variants too) that has cmap entries for at least
    ``min_gb`` of GB2312 level 1: the CJK faces."""
    from fontTools.ttLib import TTFont

    from recognizer.fonts import discover

    level1 = Charset.from_spec("gb2312-1").chars
    out = []
    for face in discover(select_all=True):
        try:
            cmap = TTFont(face.path, fontNumber=face.index, lazy=True).getBestCmap() or {}
        except Exception:  # noqa: BLE001 - a face fontTools cannot read is not measured
            continue
        if sum(ord(c) in cmap for c in level1) >= min_gb * len(level1):
            out.append(face)
    return out


@charsets_app.command("coverage")
def coverage_cmd(
    out: Path = typer.Option(Path("docs/charsets.md"), "--out", "-o"),
    regular_only: bool = typer.Option(
        True, help="One weight a family (Regular, Book, Light or the first found)."
    ),
) -> None:
    """Write a Markdown table: each CJK face's coverage of each named set."""
    from recognizer.fonts import coverage

    sets = {s: Charset.from_spec(s) for s in COVERAGE_SETS}
    union = Charset.from_spec("+".join(COVERAGE_SETS))
    faces = cjk_faces()
    if regular_only:
        faces = _one_per_family(faces)
    head = "| face | file | " + " | ".join(f"{s} ({len(c)})" for s, c in sets.items()) + " |"
    rows = [head, "|---|---|" + "---:|" * len(sets)]
    for face in faces:
        drawn = set(coverage(face, union))
        cells = [_pct(sum(ch in drawn for ch in cs.chars), len(cs)) for cs in sets.values()]
        name = Path(face.path).name + (f"#{face.index}" if face.index else "")
        rows.append(f"| {face.name} | {name} | " + " | ".join(cells) + " |")
        typer.echo(rows[-1], err=True)
    text = out.read_text("utf-8") if out.exists() else ""
    marker = "<!-- coverage table: python -m benchmarks charsets coverage -->"
    table = marker + "\n\n" + "\n".join(rows) + "\n"
    text = text.split(marker)[0] + table if marker in text else text + "\n" + table
    out.write_text(text, "utf-8")
    typer.echo(f"wrote {out} ({len(faces)} faces)")


def _pct(n: int, total: int) -> str:
    return f"{n} ({100 * n / total:.1f}%)" if n < total else f"{n} (all)"


def _one_per_family(faces):
    preferred = ("Regular", "Book", "Light")
    chosen: dict = {}
    for face in faces:
        best = chosen.get(face.family)
        rank = preferred.index(face.style) if face.style in preferred else len(preferred)
        if best is None or rank < best[0]:
            chosen[face.family] = (rank, face)
    return [f for _, f in sorted(chosen.values(), key=lambda rf: rf[1].family)]


# ---------------------------------------------------------------- doubtful characters

#: Texts written for this measurement (not from any package): everyday level-1 text,
#: a simplified page of level-2 names and places, and a traditional page.
DOUBTFUL_TEXTS = {
    "level-1": "今天天气很好，我们一起去公园散步。小朋友在草地上放风筝，老人坐在长椅上看报纸。"
    "中午我们在附近的饭馆吃了面条和饺子，下午回家继续工作。这个城市的交通很方便，地铁可以"
    "到达大部分地方。",
    "level-2": "嗯，婷婷每天早上练瑜伽，憧憬着去丽江和婺源旅行。她的同学琪琪、璐璐和晗晗都住在"
    "邯郸，周末常去涮羊肉，喝一杯枸杞茶。老师姓翟，名叫翟昊，他说：“我们要珍惜光阴。”邻居"
    "蔺先生在亳州开了一家馄饨店，生意很好。",
    "traditional": "張先生說：「這是繁體中文。」他在臺灣讀書時，常到圖書館借閱舊報紙，學習歷史"
    "與藝術。後來他搬到香港，開了一間書店，賣的都是繁體書。每逢週末，讀者們聚在店裡喝茶、"
    "談天，討論詩詞與電影。",
}

DOUBTFUL_FACES = ("Noto Sans CJK SC", "Noto Serif CJK SC", "AR PL UMing CN")


def render_text_page(face, text: str, size: int = 28, per_line: int = 18):
    """A white page of ``text`` in ``face``, ``per_line`` characters a line: uint8 (H, W)."""
    import numpy as np
    from PIL import Image, ImageDraw

    font = face.load(size)
    lines = [text[i : i + per_line] for i in range(0, len(text), per_line)]
    img = Image.new("L", (per_line * size + 2 * size, (len(lines) + 2) * size * 2), 255)
    draw = ImageDraw.Draw(img)
    for k, line in enumerate(lines):
        draw.text((size, size + 2 * k * size), line, font=font, fill=0)
    return np.asarray(img)


def aligned_confidences(truth: str, page) -> list[tuple[str, str, float]]:
    """(truth char, read char, confidence) of the characters read one-for-one against the
    truth (difflib's equal and same-length replaced runs); the rest is left out."""
    import difflib

    chars = [c for ln in page.lines for c in ln.chars if not c.char.isspace()]
    read = "".join(c.char for c in chars)
    out = []
    for op, a0, a1, b0, b1 in difflib.SequenceMatcher(None, truth, read, False).get_opcodes():
        if op in ("equal", "replace") and a1 - a0 == b1 - b0:
            out += [(truth[a0 + i], chars[b0 + i].char, chars[b0 + i].confidence)
                    for i in range(a1 - a0)]  # fmt: skip
    return out


@charsets_app.command("doubtful")
def doubtful_cmd(
    size: int = typer.Option(28, help="Character size in pixels."),
    thresholds: str = typer.Option("0.3,0.4,0.5,0.6,0.7,0.8,0.9"),
    model: Path | None = typer.Option(
        None, "--model", "-m", help="A shipped model's name, a .tflite or an export folder."
    ),
) -> None:
    """Confidences of right and wrong characters on pages of DOUBTFUL_TEXTS rendered in
    DOUBTFUL_FACES, and what each threshold of ``--mark-doubtful`` would mark."""
    import numpy as np

    from ocr_pipeline.reader import Reader
    from recognizer.fonts import discover

    reader = Reader(model)
    charset = reader.predictor.charset
    faces = {f.family: f for f in discover(select_all=True) if f.style in ("Regular", "Light")}
    rows: list[tuple[str, bool, bool, float]] = []  # text, in charset, right, confidence
    for family in DOUBTFUL_FACES:
        for name, text in DOUBTFUL_TEXTS.items():
            page = reader.read_image(render_text_page(faces[family], text, size))
            pairs = aligned_confidences(text, page)
            rows += [(name, t in charset, t == r, c) for t, r, c in pairs]
            n_right = sum(t == r for t, r, _ in pairs)
            typer.echo(f"{family:18} {name:12} {n_right}/{len(text)} read right")
    conf = np.array([r[3] for r in rows])
    right = np.array([r[2] for r in rows])
    inset = np.array([r[1] for r in rows])
    for label, sel in (("right", right), ("wrong, in set", ~right & inset),
                       ("wrong, out of set", ~right & ~inset)):  # fmt: skip
        q = np.percentile(conf[sel], [10, 50, 90]) if sel.any() else [np.nan] * 3
        typer.echo(f"{label:18} n={int(sel.sum()):4d} confidence p10/p50/p90 "
                   + " / ".join(f"{v:.3f}" for v in q))  # fmt: skip
    typer.echo("threshold  marked  right marked (of all right)  wrong marked (of all wrong)")
    for t in (float(x) for x in thresholds.split(",")):
        m = conf < t
        hit, false = int((m & ~right).sum()), int((m & right).sum())
        typer.echo(f"{t:9.2f}  {int(m.sum()):6d}  {false:4d} ({false / max(right.sum(), 1):6.1%})"
                   f"           {hit:4d} ({hit / max((~right).sum(), 1):6.1%})")  # fmt: skip
