"""Pages of every briefing, and slides of every deck, the shipped and the test profiles give.

    python bench/bench_pages.py

The profiles: the three shipped examples (plain, and in a branded workspace with a cover note
per language), the tests' uniform strong and weak profiles, the survey fixture (spread and an
earlier round), the tests' survey of twelve organisations with a benchmark built from it (peer
groups), and the batch fixture's sheet; each in Swedish and English. README's page counts come
from this table.
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

import yaml
from pptx import Presentation
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from briefgen import resources  # noqa: E402
from briefgen.batch.sources import source_orgs  # noqa: E402
from briefgen.options import Options  # noqa: E402
from briefgen.pipeline import Briefgen  # noqa: E402
from briefgen.survey.benchmark import build_benchmark  # noqa: E402
from briefgen.survey.read import read_survey  # noqa: E402
from tests.test_briefing_text import _survey, _uniform  # noqa: E402

LETTER = "Till ledningen,\n\nHär är vår genomgång.\n\nVänliga hälsningar,\nAnna Lindqvist\n"


def count(bg: Briefgen, org, lang: str) -> tuple[int, int]:
    """The briefing's pages and the deck's slides."""
    result, files = bg.build(org, lang, formats=("pdf", "pptx"))
    pdf = next(data for name, data in files.items() if name.endswith(".pdf"))
    deck = next(data for name, data in files.items() if name.endswith(".pptx"))
    return len(PdfReader(io.BytesIO(pdf)).pages), len(Presentation(io.BytesIO(deck)).slides)


def main() -> None:
    rows: list[tuple[str, str, str, int, int]] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        shipped = Briefgen(Options(out=out))
        ws = out / "ws"
        (ws / "theme").mkdir(parents=True)
        (ws / "theme" / "note-sv.md").write_text(LETTER, "utf-8")
        (ws / "theme" / "note-en.md").write_text(LETTER.replace("Till ledningen", "Dear all"),
                                                 "utf-8")
        (ws / "briefgen.toml").write_text('[firm]\nname = "Nordkonsult AB"\n[briefing]\n'
                                          'cover_note = { sv = "theme/note-sv.md", en = '
                                          '"theme/note-en.md" }\n', "utf-8")
        branded = Briefgen(Options(out=out, author="Nordkonsult AB", config=ws / "briefgen.toml",
                                   cover_note={"sv": "theme/note-sv.md",
                                               "en": "theme/note-en.md"}))
        data = out / "data"
        (data / "orgs").mkdir(parents=True)
        (data / "benchmarks").mkdir()
        base = yaml.safe_load((resources.data_dir() / "orgs" / "region-x.yaml").read_text("utf-8"))
        for org_id, name, score in (("stark", "Stark myndighet", 4.5),
                                    ("svag", "Svag kommun", 1.5)):
            (data / "orgs" / f"{org_id}.yaml").write_text(
                yaml.safe_dump(_uniform(base, org_id, name, score), allow_unicode=True), "utf-8")
        uniform = Briefgen(Options(data=data, out=out))
        survey = _survey(out / "svar.csv")
        built = build_benchmark(read_survey(survey, uniform.bundle), uniform.bundle,
                                "Kunder 2026")
        (data / "benchmarks" / "kunder-2026.yaml").write_text(yaml.safe_dump(
            built.model_dump(mode="json", exclude_none=True), allow_unicode=True), "utf-8")
        peers = Briefgen(Options(data=data, out=out, survey=survey, benchmark="kunder-2026",
                                 extra_benchmarks=("dt-offentlig-sektor-2018",)))
        fixture = ROOT / "tests" / "fixtures" / "survey" / "answers.csv"
        answers = Briefgen(Options(out=out, survey=fixture))
        sheet = [org for _, org, _ in source_orgs(ROOT / "tests" / "fixtures" / "batch" /
                                                  "good.csv", shipped.bundle) if org]
        cases = [("shipped", shipped, o) for o in ("region-x", "kommun-y", "myndighet-z")]
        cases += [("workspace", branded, o) for o in ("region-x", "kommun-y", "myndighet-z")]
        cases += [("uniform", uniform, o) for o in ("stark", "svag")]
        cases += [("survey", answers, o) for o in ("region-x", "kommun-a")]
        cases += [("peers", peers, o) for o in ("kund-01", "kund-02")]
        cases += [("sheet", shipped, o) for o in sheet]
        for kind, bg, org in cases:
            for lang in ("sv", "en"):
                pages, slides = count(bg, org, lang)
                name = org if isinstance(org, str) else org.id
                rows.append((kind, name, lang, pages, slides))
                print(f"{kind:<10} {name:<14} {lang}  {pages:>3} pages  {slides:>3} slides",
                      flush=True)
    pages = [r[3] for r in rows]
    slides = [r[4] for r in rows]
    print(f"all {len(rows)}: {min(pages)}-{max(pages)} pages, {min(slides)}-{max(slides)} slides")
    shipped_pages = [r[3] for r in rows if r[0] == "shipped"]
    print(f"shipped examples: {min(shipped_pages)}-{max(shipped_pages)} pages")


if __name__ == "__main__":
    main()
