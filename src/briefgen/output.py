"""What leaves the renderer: PDF metadata, stable identifiers and atomic writes.

Nothing here imports WeasyPrint, so commands that write files without rendering (validate,
a no-op batch, benchmark build) start fast.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path


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
    created: str                  # ISO 8601, from the assessment date or SOURCE_DATE_EPOCH
    identifier: bytes             # stable: the same input gives the same bytes
    attachments: tuple[AttachedFile, ...] = ()


# --------------------------------------------------------------------------- PDF accessibility
# Small additions to what WeasyPrint 70 (pinned) writes, so that the tagged PDF also carries
# table header scopes, the language of passages marked with lang=, dc:language in XMP, and
# the PDF/UA identification in the PDF/A variant (WeasyPrint writes one identification only).

def pdf_name(org_id: str, lang: str) -> str:
    """The file name of a briefing: ``ID.pdf`` in Swedish, ``ID-LANG.pdf`` in another language."""
    return f"{org_id}.pdf" if lang == "sv" else f"{org_id}-{lang}.pdf"


def creation_date(assessed: dt.date) -> str:
    """The PDF's dates: SOURCE_DATE_EPOCH when set, else noon UTC on the assessment date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        when = dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc)
    else:
        when = dt.datetime.combine(assessed, dt.time(12, 0), tzinfo=dt.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def stable_identifier(*parts: str) -> bytes:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32].encode()


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
