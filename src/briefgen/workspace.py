"""A consultant's working folder: ``briefgen init DIR`` and where profiles and benchmarks are found.

The folder's ``briefgen.toml`` is read by :mod:`briefgen.config`; this module writes a new
workspace and tells, for ``briefgen list``, where each organisation and benchmark came from.
"""

from __future__ import annotations

from pathlib import Path

from . import resources
from .config import CONFIG_NAME
from .errors import InputError
from .load import DataBundle, Listed, listed_orgs

CONFIG_TEMPLATE = '''\
# briefgen.toml: this workspace's settings. Every briefgen command run in this folder (or
# below it) reads this file; options given on the command line win over it. Every key is
# optional: delete a line, or comment it out, to use briefgen's default.
# Reference: docs/workspace.md.

[firm]
# Your firm's name: on the cover, in every page's footer and as the PDF's author.
# Left out, the footer carries only the organisation and the page number.
# name = "Nordkonsult AB"
# How to reach you: on the back page.
# contact = "analys@nordkonsult.se · 08-123 45 67"
# Your logo, relative to this folder: PNG, JPEG or SVG (no scripts, no outside references).
# logo = "theme/logo.svg"
# Your PowerPoint template (.pptx or .potx) for the deck: its slide size, layouts and fonts.
# deck_template = "theme/template.potx"

[theme]
# Your colours as #RRGGBB. Each must give text at least 4.5:1 contrast on white.
# primary: headings, rules, the organisation's series in every chart.
# primary = "#0B5D4B"
# accent: the benchmark's series in every chart, priority badges.
# accent = "#B3541E"

[briefing]
# Language of the briefings: "sv" or "en".
# lang = "sv"
# The benchmark: an id in benchmarks/ (this folder first, then the shipped ones) or a file.
# benchmark = "dt-offentlig-sektor-2018"
# "pdf/ua-1" (tagged, accessible) or "pdf/a-3b" (also archivable).
# pdf_variant = "pdf/ua-1"
# A letter from the firm in Markdown, placed after the cover (HTML in it shows as text).
# One file is in the language above; give one per language to have both:
# cover_note = { sv = "theme/brev-sv.md", en = "theme/letter-en.md" }
# cover_note = "cover-note.md"
# A disclaimer for the back page (default: a short note of briefgen's own), likewise:
# disclaimer = { sv = "Underlaget är ett diskussionsunderlag.", en = "A basis for discussion." }
# disclaimer = "Underlaget är ett diskussionsunderlag och ingen revision."
# What `make` and `batch` write: any of "pdf", "pptx", "xlsx", "charts".
# formats = ["pdf"]

# [serve]
# Read by the web questionnaire only, not by the briefings.
# admin_secret = "change me"
# database = "answers.sqlite"
# host = "127.0.0.1"
# port = 8000
# The public address respondents' links start with.
# base_url = "https://enkat.nordkonsult.se"
# The last day to answer: on every page of the form and in every e-mail.
# deadline = 2026-12-15
# Who is responsible for the answers, why, how long they are kept, whom to ask (Markdown):
# linked from every page of the form and from every e-mail.
# privacy = { sv = "theme/integritet.md", en = "theme/privacy.md" }

# [smtp]
# Your mail server, for `briefgen invite --emails` and `briefgen remind`. The password is
# never written here: set BRIEFGEN_SMTP_PASSWORD in the environment.
# host = "smtp.nordkonsult.se"
# sender = "Nordkonsult AB <enkat@nordkonsult.se>"
# username = "enkat"
# security = "starttls"           # "starttls" (port 587), "tls" (465) or "none" (25)
# port = 587
'''

README_TEMPLATE = '''\
# A briefgen workspace

Run every briefgen command in this folder (or below it): it reads `briefgen.toml`.

| what | where |
|---|---|
| the firm, its colours and defaults | `briefgen.toml` (every key commented) |
| organisation profiles | `orgs/ID.yaml`, e.g. `orgs/region-x.yaml` |
| benchmarks you build | `benchmarks/ID.yaml` |
| logo, cover notes, deck template and other brand files | `theme/` |

```sh
briefgen list                                             # what is found, and where
briefgen make --org region-x                              # output/region-x.pdf
briefgen make --org region-x --format pptx --format xlsx --format charts
briefgen benchmark build answers.xlsx --name "Kunder 2026" --out benchmarks/kunder-2026.yaml
briefgen make --org region-x --benchmark kunder-2026
```

Profiles and benchmarks here come before the shipped examples of the same id; the
2018 study (`dt-offentlig-sektor-2018`) is always available.
'''


def init_workspace(folder: Path) -> list[Path]:
    """Create a workspace in ``folder``; return the files written (existing ones are kept)."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: exists and is not a folder")
    for sub in ("orgs", "benchmarks", "theme"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    example = resources.data_dir() / "orgs" / "region-x.yaml"
    files = {folder / CONFIG_NAME: CONFIG_TEMPLATE, folder / "README.md": README_TEMPLATE,
             folder / "orgs" / "region-x.yaml": example.read_text(encoding="utf-8")}
    written = []
    for path, text in files.items():
        if not path.exists():
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def _where(path: Path, bundle: DataBundle) -> str:
    shipped = resources.data_dir().resolve()
    if path.resolve().is_relative_to(shipped):
        return "shipped"
    return str(path.parent)


def list_profiles(bundle: DataBundle) -> list[tuple[Listed, str]]:
    """Every organisation ``--org ID`` finds (its current profile, and the earlier assessments
    beside it), with where it came from (a folder, or "shipped")."""
    return [(listed, _where(listed.path, bundle)) for listed in listed_orgs(bundle)]


def list_benchmarks(bundle: DataBundle) -> list[tuple[Path, str]]:
    """Every benchmark ``--benchmark ID`` finds, the workspace's before the shipped ones."""
    found: dict[str, Path] = {}
    for folder in (bundle.root / "benchmarks", resources.data_dir() / "benchmarks"):
        if folder.is_dir():
            for path in sorted(folder.glob("*.yaml")):
                found.setdefault(path.stem, path)
    return [(path, _where(path, bundle)) for path in sorted(found.values(),
                                                            key=lambda p: p.stem)]
