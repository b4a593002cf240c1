"""Writing outputs safely: paths checked before any work, files replaced whole or not at all.

A file is written to a temporary name in its own folder and renamed over the
target only when complete, so a run that fails or is killed never leaves a
half-written file under the target's name, nor clobbers the file that was there.
A target that exists and is not a regular file (``/dev/null``, a FIFO, a
terminal) is written directly: renaming over it would replace the device.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import IO

#: Image types an overlay or debug drawing can be written as, by extension.
IMAGE_TYPES = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".webp": "WEBP",
    ".bmp": "BMP",
}


class OutputError(ValueError):
    """An output path that cannot be written; ``str(err)`` names it and says why."""


def check_file(path: Path, image: bool = False) -> None:
    """Check that ``path`` can be written as a file, before any work is done.

    Args:
        path: the file to write.
        image: the file is an image, whose type its extension must name
            (:data:`IMAGE_TYPES`).

    Raises:
        OutputError: ``path`` is a folder, its folder is missing or not a folder,
            the folder cannot be written in, or (``image``) the extension is unknown.
    """
    if image and path.suffix.lower() not in IMAGE_TYPES:
        raise OutputError(
            f"{path}: unknown image type {path.suffix or '(no extension)'!r}; "
            f"name it {', '.join(sorted(set(IMAGE_TYPES)))}"
        )
    try:
        st = path.stat()
    except FileNotFoundError:
        st = None
    except OSError as err:
        raise OutputError(f"{path}: {_reason(err)}") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise OutputError(f"{path}: is a folder; give a file name")
    if st is not None and not stat.S_ISREG(st.st_mode):
        return  # a device or FIFO, written directly
    _probe_folder(path.parent, path)


def check_folder(path: Path) -> None:
    """Check that ``path`` is a folder, or can be made one, that files can be written in.

    Raises:
        OutputError: ``path`` is a file, or the folder (or its nearest existing
            parent) cannot be written in.
    """
    existing = path
    while True:
        try:
            st = existing.stat()
            break
        except FileNotFoundError:
            if existing.parent == existing:
                raise OutputError(f"{path}: no folder on the way exists") from None
            existing = existing.parent
        except OSError as err:
            raise OutputError(f"{path}: {_reason(err)}") from None
    if not stat.S_ISDIR(st.st_mode):
        what = "is a file" if existing == path else f"{existing} is a file"
        raise OutputError(f"{path}: {what}, not a folder")
    _probe_folder(existing, path)


def _probe_folder(folder: Path, target: Path) -> None:
    """Raise OutputError unless a file can be created in ``folder`` (which exists)."""
    try:
        st = folder.stat()
    except FileNotFoundError:
        raise OutputError(f"{target}: folder {folder} does not exist") from None
    except OSError as err:
        raise OutputError(f"{target}: {_reason(err)}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise OutputError(f"{target}: {folder} is not a folder")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".pageocr-probe-"):
            pass
    except OSError as err:
        raise OutputError(f"{target}: cannot write in {folder}: {_reason(err)}") from None


def _reason(err: OSError) -> str:
    if err.errno == errno.ENOTDIR:
        return "a part of the path is a file, not a folder"
    return (err.strerror or str(err)).lower()


class AtomicFile:
    """A file written under a temporary name and renamed to ``path`` by :meth:`commit`.

    >>> with AtomicFile(Path("out.txt")) as out:       # doctest: +SKIP
    ...     out.file.write("text")
    ...     out.commit()                               # else out.txt stays as it was

    Leaving the ``with`` block without :meth:`commit` (an error, an interrupt)
    removes the temporary file. A target that is a device or FIFO is written directly.

    Raises:
        OutputError: the temporary file cannot be created, written or renamed.
    """

    def __init__(self, path: Path, binary: bool = False) -> None:
        self.path = path
        self.tmp: Path | None = None
        try:
            direct = path.exists() and not path.is_file()
            if direct:
                self.file: IO = open(path, "wb" if binary else "w", encoding=_enc(binary))
            else:
                clear_stale(path)
                prefix = _tmp_prefix(path)
                fd, name = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=".part")
                try:
                    self.tmp = Path(name)
                    self.file = os.fdopen(fd, "wb" if binary else "w", encoding=_enc(binary))
                except BaseException:  # an interrupt (SIGTERM) before the file is ours
                    with contextlib.suppress(OSError):
                        os.unlink(name)
                    raise
        except OSError as err:
            raise OutputError(f"{path}: cannot write: {_reason(err)}") from None

    def commit(self) -> None:
        """Close the file and put it in place of ``path``."""
        try:
            self.file.close()
            if self.tmp is not None:
                os.chmod(self.tmp, _mode_for(self.path))
                os.replace(self.tmp, self.path)
                self.tmp = None
        except OSError as err:
            self.discard()
            raise OutputError(f"{self.path}: cannot write: {_reason(err)}") from None

    def discard(self) -> None:
        """Close and remove the temporary file; ``path`` stays as it was."""
        with contextlib.suppress(OSError):
            self.file.close()
        if self.tmp is not None:
            with contextlib.suppress(OSError):
                self.tmp.unlink()
            self.tmp = None

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, *exc) -> None:
        self.discard()


def _tmp_prefix(path: Path, pid: int | None = None) -> str:
    """The start of the temporary names of ``path``'s writer ``pid`` (this process by
    default): ``.NAME.pageocr-PID-`` (NAME cut to 40 characters)."""
    return f"{_tmp_stem(path)}{os.getpid() if pid is None else pid}-"


def _tmp_stem(path: Path) -> str:
    return f".{path.name[:40]}.pageocr-"


_TMP_PID = re.compile(r"(\d+)-[^.]*\.part")


def clear_stale(path: Path) -> int:
    """Remove the temporary files of ``path`` that a writer killed before it could
    (``kill -9``, a power cut) left: those whose process is gone. Those of a live
    process, another run writing the same file, are left alone.

    Returns:
        How many were removed.
    """
    prefix = _tmp_stem(path)
    n = 0
    try:
        found = list(path.parent.glob(_glob_escape(prefix) + "*.part"))
    except OSError:
        return 0
    for tmp in found:
        m = _TMP_PID.fullmatch(tmp.name[len(prefix) :])
        if m and not _alive(int(m.group(1))):
            with contextlib.suppress(OSError):
                tmp.unlink()
                n += 1
    return n


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return pid > 0  # someone else's process
    return True


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _enc(binary: bool) -> str | None:
    return None if binary else "utf-8"


def _mode_for(path: Path) -> int:
    """The permissions ``path`` has, or those a new file gets under the umask."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all.

    Raises:
        OutputError: it cannot be written.
    """
    with AtomicFile(path, binary=True) as out:
        try:
            out.file.write(data)
        except OSError as err:
            raise OutputError(f"{path}: cannot write: {_reason(err)}") from None
        out.commit()


def encode_image(img, path: Path) -> bytes:
    """A PIL image encoded in the type ``path``'s extension names (:data:`IMAGE_TYPES`)."""
    buf = io.BytesIO()
    fmt = IMAGE_TYPES[path.suffix.lower()]
    (img.convert("RGB") if fmt == "JPEG" else img).save(buf, format=fmt)
    return buf.getvalue()
