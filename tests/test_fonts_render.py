"""Font faces (reading, split, coverage, discovery) and the glyph renderer."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from conftest import HELDOUT, KAI, NOTO, SUBSET_HANZI

from recognizer.charset import Charset
from recognizer.fonts import FontError, coverage, discover, read_faces, split_of
from recognizer.render import CLEAN, Augment, render

# ------------------------------------------------------------------ faces


@pytest.mark.parametrize(
    ("path", "family", "split"),
    [(NOTO, "Noto Sans CJK SC", "train"), (KAI, "LXGW WenKai", "heldout")],
)
def test_read_faces(path, family, split):
    (face,) = read_faces(path, heldout=HELDOUT)
    assert face.family == family
    assert face.split == split
    assert face.index == 0 and face.path == str(path)


def test_read_faces_without_heldout_list_puts_all_in_train():
    assert [f.split for f in read_faces(KAI, heldout=())] == ["train"]


@pytest.mark.parametrize(
    ("family", "heldout", "split"),
    [
        ("LXGW WenKai", ("LXGW WenKai",), "heldout"),
        ("LXGW WenKai Mono", ("LXGW WenKai",), "heldout"),
        ("Noto Sans CJK SC", ("LXGW WenKai",), "train"),
        ("WenKai", ("LXGW WenKai",), "train"),
        ("Noto Sans CJK SC", (), "train"),
    ],
)
def test_split_of(family, heldout, split):
    assert split_of(family, heldout) == split


def test_read_faces_rejects_a_text_file(tmp_path):
    bad = tmp_path / "notes.ttf"
    bad.write_text("this is not a font\n")
    with pytest.raises(FontError, match="not a font file"):
        read_faces(bad)


def test_read_faces_missing_file_raises_font_error(tmp_path):
    with pytest.raises(FontError, match="nope.otf"):
        read_faces(tmp_path / "nope.otf")


def test_read_faces_missing_file_says_so(tmp_path):
    with pytest.raises(FontError, match="does not exist"):
        read_faces(tmp_path / "nope.otf")


def test_discover_finds_the_fixture_faces_sorted():
    faces = discover([NOTO.parent], heldout=HELDOUT)
    assert [(f.family, f.split) for f in faces] == [
        ("LXGW WenKai", "heldout"),
        ("Noto Sans CJK SC", "train"),
        ("Noto Serif CJK SC", "train"),
    ]


def test_discover_keeps_taiwan_and_hong_kong_faces_only_when_asked(monkeypatch):
    """--regional: TC / HK / TW faces are kept, JP / KR / TW MBE still skipped."""
    import recognizer.fonts as fonts

    names = ["Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Serif CJK HK", "AR PL UMing TW",
             "AR PL UMing TW MBE", "Noto Sans CJK JP", "Noto Sans CJK KR"]  # fmt: skip
    monkeypatch.setattr(
        fonts, "read_faces", lambda path, heldout: [fonts.Face(str(path), 0, n, "R") for n in names]
    )
    plain = [f.family for f in fonts.discover([NOTO])]
    regional = [f.family for f in fonts.discover([NOTO], regional=True)]
    assert plain == ["Noto Sans CJK SC"]
    assert regional == ["AR PL UMing TW", "Noto Sans CJK SC", "Noto Sans CJK TC",
                        "Noto Serif CJK HK"]  # fmt: skip
    assert [fonts.is_regional(fonts.Face("", 0, n, "")) for n in names] == [
        False, True, True, True, False, False, False
    ]  # fmt: skip


def test_discover_skips_bad_files_in_a_folder(tmp_path):
    shutil.copy(NOTO, tmp_path / "good.otf")
    (tmp_path / "broken.ttf").write_text("garbage")
    faces = discover([tmp_path])
    assert [f.family for f in faces] == ["Noto Sans CJK SC"]


def test_discover_raises_on_a_bad_file_named_explicitly(tmp_path):
    bad = tmp_path / "broken.ttf"
    bad.write_text("garbage")
    with pytest.raises(FontError, match="broken.ttf"):
        discover([bad])


def test_discover_raises_on_a_bad_file_named_in_a_generator(tmp_path):
    bad = tmp_path / "broken.ttf"
    bad.write_text("garbage")
    with pytest.raises(FontError):
        discover(p for p in [bad])


# ------------------------------------------------------------------ coverage


@pytest.mark.parametrize("path", [NOTO, KAI])
def test_coverage_leaves_out_characters_the_face_lacks(path):
    (face,) = read_faces(path)
    got = coverage(face, Charset("啊永座一", "x"))
    assert got == "永一"


@pytest.mark.parametrize("path", [NOTO, KAI])
def test_coverage_of_gb2312_is_exactly_the_subset_hanzi(path):
    (face,) = read_faces(path)
    got = coverage(face, Charset.from_spec("gb2312"))
    assert sorted(got) == sorted(SUBSET_HANZI)


@pytest.mark.parametrize("path", [NOTO, KAI])
def test_coverage_of_ascii(path):
    (face,) = read_faces(path)
    got = coverage(face, Charset.from_spec("ascii"))
    for ch in "aZ09.,:;?!()-":
        assert ch in got
    for ch in "#@&*~":
        assert ch not in got
    assert got == "".join(c for c in Charset.from_spec("ascii").chars if c in got)  # order kept


# ------------------------------------------------------------------ render


@pytest.mark.parametrize("mode", ["line", "tight"])
@pytest.mark.parametrize("size", [32, 48])
@pytest.mark.parametrize("ch", ["永", "a", "，"])
def test_render_shape_dtype_and_ink(noto_face, ch, size, mode):
    img = render(noto_face, ch, seed=1, size=size, mode=mode)
    assert img.shape == (size, size)
    assert img.dtype == np.uint8
    assert img.max() > 100
    # white on black: the background (the majority) is dark
    assert np.median(img) < 60


@pytest.mark.parametrize("mode", ["line", "tight", None])
def test_render_same_seed_same_image(kai_face, mode):
    a = render(kai_face, "永", seed=7, mode=mode, neighbours="一二三")
    b = render(kai_face, "永", seed=7, mode=mode, neighbours="一二三")
    assert np.array_equal(a, b)


@pytest.mark.parametrize("mode", ["line", "tight", None])
def test_render_other_seed_other_image(kai_face, mode):
    a = render(kai_face, "永", seed=7, mode=mode)
    b = render(kai_face, "永", seed=8, mode=mode)
    assert not np.array_equal(a, b)


def test_render_unknown_mode(noto_face):
    with pytest.raises(ValueError, match="mode"):
        render(noto_face, "永", seed=0, mode="loose")


def _ink(img):
    return img > 100


@pytest.mark.parametrize("face_name", ["noto_face", "kai_face"])
def test_line_mode_keeps_a_comma_small_and_low(request, face_name):
    face = request.getfixturevalue(face_name)
    size = 32
    comma = _ink(render(face, "，", seed=0, size=size, mode="line", aug=CLEAN))
    yong = _ink(render(face, "永", seed=0, size=size, mode="line", aug=CLEAN))
    rows = np.nonzero(comma)[0]
    assert rows.mean() > 0.6 * size
    assert comma.sum() < 0.3 * yong.sum()


@pytest.mark.parametrize("face_name", ["noto_face", "kai_face"])
def test_tight_mode_makes_a_comma_fill_the_crop(request, face_name):
    face = request.getfixturevalue(face_name)
    size = 32
    tight = _ink(render(face, "，", seed=0, size=size, mode="tight", aug=CLEAN))
    line = _ink(render(face, "，", seed=0, size=size, mode="line", aug=CLEAN))
    rows, cols = np.nonzero(tight)
    extent = max(rows.max() - rows.min() + 1, cols.max() - cols.min() + 1)
    assert extent >= 0.75 * size
    assert 0.3 * size < rows.mean() < 0.7 * size
    assert tight.sum() > 3 * line.sum()


def test_clean_line_mode_ignores_neighbours(noto_face):
    """CLEAN has p_neighbours = 0 and no box jitter: neighbours change nothing."""
    a = render(noto_face, "永", seed=3, mode="line", aug=CLEAN)
    b = render(noto_face, "永", seed=3, mode="line", aug=CLEAN, neighbours="国国国")
    assert np.array_equal(a, b)


def test_augmentation_changes_the_image(noto_face):
    clean = render(noto_face, "永", seed=5, mode="line", aug=CLEAN)
    noisy = render(noto_face, "永", seed=5, mode="line", aug=Augment(noise=40.0, p_blur=1.0))
    assert not np.array_equal(clean, noisy)
