"""What leaves the renderer: PDF metadata, stable identifiers and atomic writes.

Nothing here imports WeasyPrint, so commands that write files without rendering (validate,
a no-op batch, benchmark build) start fast.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError, OutputError, printable

MAX_SOURCE_DATE_EPOCH = 253_402_300_799   # 9999-12-31T23:59:59Z, the last date a PDF can hold


@dataclass(frozen=True)
class AttachedFile:
    """A file carried inside the PDF (PDF/A-3 associated file), e.g. the input profile."""

    name: str
    data: bytes
    description: str
    relationship: str = "Source"   # ISO 32000-2 AFRelationship: Source, Data, Supplement, ...


@dataclass(frozen=True)
class PdfMeta:
    title: str
    author: str
    subject: str
    keywords: tuple[str, ...]
    lang: str
    created: dt.datetime          # creation_time(): the assessment date or SOURCE_DATE_EPOCH
    identifier: bytes             # stable: the same input gives the same bytes
    attachments: tuple[AttachedFile, ...] = ()


# --------------------------------------------------------------------------- names, dates
# (The PDF's accessibility additions to what WeasyPrint writes are in briefgen.tagging and
# briefgen.render.)

def pdf_name(org_id: str, lang: str) -> str:
    """The file name of a briefing: ``ID.pdf`` in Swedish, ``ID-LANG.pdf`` in another language."""
    return f"{org_id}.pdf" if lang == "sv" else f"{org_id}-{lang}.pdf"


def source_date_epoch() -> int | None:
    """``SOURCE_DATE_EPOCH`` as seconds, None when unset; raise :class:`InputError` if invalid.

    The reproducible-builds convention: a non-negative whole number of seconds since
    1970-01-01 UTC. Anything else is refused rather than ignored, so that a typo never gives
    PDFs with dates other than the ones asked for.
    """
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if re.fullmatch(r"[0-9]{1,12}", text) and int(text) <= MAX_SOURCE_DATE_EPOCH:
        return int(text)
    shown = printable(text if len(text) <= 24 else text[:20] + "...")
    raise InputError(f"SOURCE_DATE_EPOCH: '{shown}' is not a valid time (allowed: whole "
                     f"seconds since 1970-01-01 UTC, from 0 to {MAX_SOURCE_DATE_EPOCH}, or "
                     "unset)")


ISO_UTC = "%Y-%m-%dT%H:%M:%SZ"


def creation_time(assessed: dt.date) -> dt.datetime:
    """When a deliverable says it was made: SOURCE_DATE_EPOCH when set, else noon UTC on the
    assessment date (so the same input gives the same bytes). Naive, in UTC: what the PDF's
    attachments and the Office files take."""
    epoch = source_date_epoch()
    if epoch is not None:
        when = dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc)
    else:
        when = dt.datetime.combine(assessed, dt.time(12, 0), tzinfo=dt.timezone.utc)
    return when.replace(tzinfo=None)


def creation_date(assessed: dt.date) -> str:
    """:func:`creation_time` as the PDF's metadata writes it (ISO 8601, UTC)."""
    return creation_time(assessed).strftime(ISO_UTC)


def stable_identifier(*parts: str) -> bytes:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32].encode()


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename: never half a file.

    Links are never followed: a symbolic link at ``path`` is replaced by the file (the rename
    acts on the link itself), and the temporary file is created new (O_EXCL). Raise
    :class:`OutputError` naming the path when the disk is full or the folder not writable.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise output_error(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise output_error(path, exc) from None
        raise


def output_error(path: Path, exc: OSError) -> OutputError:
    """The :class:`OutputError` for an OSError met writing ``path``: the path, why, and what to
    do about a full disk, a quota, permissions or a read-only file system."""
    hint = {errno.ENOSPC: "the disk is full; free some space and run again",
            errno.EDQUOT: "the disk quota is used up; free some space and run again",
            errno.EACCES: "no permission to write there",
            errno.EROFS: "the file system is read-only"}.get(exc.errno or 0, "")
    reason = exc.strerror or type(exc).__name__
    return OutputError(f"{printable(str(path))}: cannot write ({reason}"
                       f"{'; ' + hint if hint else ''})")
