"""What a batch records: one :class:`Item` per organisation, in manifest.csv and manifest.json.

The input hash of an item covers everything that decides its briefing's bytes (the profile, its
logo, the data files, templates, fonts, the workspace's brand and the versions of the packages
that draw it), so a re-run renders only what changed. The CSV is written for spreadsheets: a
cell that looks like a formula is quoted (:func:`briefgen.cells.to_csv`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__, resources
from ..brand import workspace_root
from ..cells import to_csv
from ..errors import InputError
from ..load import DataBundle, benchmark_path
from ..logo import logo_bytes, logo_folders
from ..models import Org
from ..output import write_atomic

if TYPE_CHECKING:
    from ..options import Options

log = logging.getLogger(__name__)

MANIFEST_JSON = "manifest.json"
MANIFEST_CSV = "manifest.csv"
OK, UNCHANGED, FAILED, PENDING = "ok", "unchanged", "failed", "pending"
SKIPPED = "skipped"   # not run because --fail-fast stopped the batch; the reason says so
HISTORY = "history"   # an organisation's earlier assessment: not briefed on its own
# Versions of what decides a PDF's bytes (pinned in pyproject.toml), part of every input hash.
RENDER_PACKAGES = ("weasyprint", "pydyf", "fonttools", "reportlab", "jinja2", "babel")
KIT_PACKAGES = ("python-pptx", "openpyxl", "resvg-py", "markdown-it-py")


@dataclass
class Item:
    """One organisation of a batch: a row of the manifest."""

    id: str
    file: str                      # the PDF's name in the output folder
    status: str                    # ok | unchanged | failed | skipped | history (pending while
                                   # running)
    error: str = ""
    row: int = 0                   # the sheet's row number, or the profile's position
    source: str = ""               # "clients.csv row 5" or the profile's path
    pages: int | None = None
    bytes: int | None = None
    sha256: str = ""
    input_hash: str = ""
    benchmark_id: str = ""
    benchmark_version: str = ""
    briefgen_version: str = __version__
    mtime_ns: int | None = None    # of the PDF when written: a quick intact check on re-runs
    files: str = ""                # every file made, ';'-separated: the PDF, then the kit's

    @property
    def done(self) -> bool:
        return self.status in (OK, UNCHANGED, HISTORY)


CSV_FIELDS = [f.name for f in fields(Item) if f.name not in ("mtime_ns", "source")]


# --------------------------------------------------------------------------- hashing


def file_sha256(path: Path) -> str:
    """A file's SHA-256, read in blocks: memory stays small whatever the file's size."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _hash_files(h: Any, paths: Iterable[Path], root: Path) -> None:
    for path in sorted(paths):
        if path.is_file():
            h.update(str(path.relative_to(root)).encode() + b"\0")
            h.update(file_sha256(path).encode())


def assets_hash(options: Options, bundle: DataBundle, benchmark_file: Path) -> str:
    """Hash everything besides the profile that decides a briefing's bytes."""
    h = hashlib.sha256()
    for folder in (resources.templates_dir(), resources.fonts_dir(), options.templates):
        if folder and Path(folder).is_dir():
            _hash_files(h, Path(folder).rglob("*"), Path(folder))
    # The shipped data, then a --data folder's own: in that order in every process (a set's
    # order changes with the process's string hashing, and every briefing with it).
    for root in dict.fromkeys([resources.data_dir(), bundle.root]):
        _hash_files(h, [root / n for n in ("framework.yaml", "recommendations.yaml",
                                           "rules.yaml", "texts.yaml")], root)
    h.update(file_sha256(benchmark_file).encode())
    for spec in options.extra_benchmarks:  # the peer groups and study beside the primary
        h.update(file_sha256(benchmark_path(spec, bundle)).encode())
    _hash_packages(h, RENDER_PACKAGES)
    settings = [__version__, options.lang, options.pdf_variant, options.author or "",
                os.environ.get("SOURCE_DATE_EPOCH", "")]
    h.update("\0".join(settings).encode())
    h.update(brand_hash(options).encode())
    return h.hexdigest()


def brand_hash(options: Options) -> str:
    """Hash the workspace's part of a briefing: briefgen.toml, the theme's files, the formats.

    A new colour, logo, cover note or contact renders every briefing again.
    """
    h = hashlib.sha256()
    brand = [options.contact, options.firm_logo, options.deck_template, options.primary,
             options.accent, _by_language(options.cover_note),
             _by_language(options.disclaimer), *sorted(options.formats)]
    h.update("\0".join(v or "" for v in brand).encode())
    _hash_packages(h, KIT_PACKAGES)   # what decides the bytes of the deck, workbook and charts
    root = workspace_root(options)
    files = [Path(options.config)] if options.config else []
    notes = (list(options.cover_note.values()) if isinstance(options.cover_note, Mapping)
             else [options.cover_note])
    files += [root / name for name in (options.firm_logo, options.deck_template, *notes)
              if name]
    if options.config and (root / "theme").is_dir():
        files += (root / "theme").rglob("*")
    for path in sorted({f.resolve() for f in files if f.is_file()}):
        h.update(path.name.encode() + b"\0" + file_sha256(path).encode())
    return h.hexdigest()


def _by_language(value: str | Mapping[str, str] | None) -> str | None:
    """A value given per language as one stable string."""
    if isinstance(value, Mapping):
        return json.dumps(dict(sorted(value.items())), ensure_ascii=False)
    return value


def _hash_packages(h, names) -> None:
    for name in names:
        try:
            h.update(f"{name}={version(name)}\0".encode())
        except PackageNotFoundError:
            pass


def input_hash(org: Org, assets: str, data_root: Path, with_source: bool = False,
               review: Path | None = None) -> str:
    """Hash one organisation's input: the validated profile, its logo, its consultant's
    review (``reviews/ID.yaml``) if it has one, and ``assets``.

    ``with_source``: also the source (file, or file and row). A PDF/A-3 briefing carries it in
    its attached analysis, so there a row that moves is rendered again; elsewhere it is not.
    """
    exclude: dict[str, Any] = {} if with_source else {"source": True, "previous": {"source"}}
    profile = org.model_dump(mode="json", exclude=exclude)
    text = json.dumps(profile, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    h = hashlib.sha256(f"{assets}\0{text}".encode())
    if org.profile.logo:  # the image's bytes, found and capped as the rendering finds them
        try:
            h.update(logo_bytes(org.profile.logo, logo_folders(org.source, data_root), "logo"))
        except InputError as exc:  # refused when rendered too: hash why (never a huge read)
            h.update(str(exc).encode())
    if review is not None:   # an edited review renders the briefing again
        h.update(b"review\0" + file_sha256(review).encode())
    return h.hexdigest()


# --------------------------------------------------------------------------- manifest


def _write_atomic_text(path: Path, text: str) -> None:
    write_atomic(path, text.encode("utf-8"))


def write_manifest(out: Path, items: list[Item], info: dict[str, Any]) -> None:
    """Write manifest.json and manifest.csv atomically (JSON last: re-runs read the JSON)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for item in items:
        row = asdict(item)
        writer.writerow({k: to_csv("" if row[k] is None else row[k]) for k in CSV_FIELDS})
    _write_atomic_text(out / MANIFEST_CSV, buffer.getvalue())
    document = dict(info, items=[asdict(i) for i in items])
    _write_atomic_text(out / MANIFEST_JSON,
                       json.dumps(document, ensure_ascii=False, indent=1) + "\n")


def read_manifest(out: Path) -> dict[str, Item]:
    """The items of an earlier run's manifest by file name; an unreadable one counts as none."""
    path = out / MANIFEST_JSON
    if not path.is_file():
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        names = {f.name for f in fields(Item)}
        items = [Item(**{k: v for k, v in d.items() if k in names}) for d in document["items"]]
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("%s is unreadable (%s): rendering everything again", path, exc)
        return {}
    return {i.file: i for i in items}


def _intact(path: Path, before: Item) -> bool:
    """Is the PDF an earlier run recorded still there, unchanged? (size+mtime, else sha256)"""
    try:
        info = path.lstat()  # a link at the path is not the PDF the batch wrote
    except OSError:
        return False
    if not stat.S_ISREG(info.st_mode) or info.st_size != before.bytes:
        return False
    if before.mtime_ns is not None and info.st_mtime_ns == before.mtime_ns:
        return True
    return file_sha256(path) == before.sha256


def _kit_intact(out: Path, before: Item) -> bool:
    """Are the kit's files an earlier run recorded still there?"""
    return all((out / name).is_file() for name in before.files.split(";") if name)


def _remove_temporaries(out: Path) -> None:
    """Temporary files a killed run left behind (never at a final path)."""
    for tmp in out.glob(".*.tmp"):
        if tmp.name.startswith((".manifest.", f".{MANIFEST_CSV}", f".{MANIFEST_JSON}")) \
                or ".pdf." in tmp.name:
            tmp.unlink(missing_ok=True)
