"""Peer groups, quartile positions and progress over time, down to the PDF."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from briefgen.analyse import analyse
from briefgen.compare import compare, peer_group, progress, quartile_position
from briefgen.load import load_benchmark, load_data, load_org
from briefgen.models import Benchmark, Figure, Group
from briefgen.options import Options
from briefgen.pipeline import Briefgen

RULES = load_data(None).rules.surveys   # the shipped rules: a group needs 5 organisations

ORGS = Path(__file__).parents[1] / "data" / "orgs"


@pytest.fixture(scope="module")
def bundle():
    return load_data()


def fig(q1, median, q3, n=9) -> dict:
    return {"mean": median, "median": median, "q1": q1, "q3": q3, "n": n}


def built(levels: dict[str, int], min_group_size: int = 5) -> Benchmark:
    """A built benchmark whose every figure has quartiles 2.5 / 3.0 / 3.5 (regions: 3.5/4/4.5)."""
    def group(n, shift=0.0):
        caps = {k: fig(2.5 + shift, 3.0 + shift, 3.5 + shift, n) for k in (
            "digital_leadership", "competence_diversity", "partnerships", "data_access_security",
            "organisational_clarity", "new_working_methods", "agile_decisions")}
        effects = {k: fig(2.5 + shift, 3.0 + shift, 3.5 + shift, n) for k in (
            "relevant_services", "citizen_centric", "employee_empowerment", "cross_processes")}
        return {"n": n, "capabilities": caps, "effects": effects}
    return Benchmark.model_validate({
        "id": "kunder-2026", "version": "2026-10-01", "title": {"sv": "Kunder 2026",
                                                                 "en": "Clients 2026"},
        "publisher": "briefgen", "published": "2026-10", "source_document": "s.csv",
        "kind": "built", "organisations": sum(levels.values()),
        "overall": group(sum(levels.values())),
        "levels": {lv: group(n, 1.0 if lv == "regional" else 0.0) for lv, n in levels.items()
                   if n >= min_group_size},
        "min_group_size": min_group_size})


def test_quartile_positions():
    f = Figure(q1=2.5, median=3.0, q3=3.5)
    assert quartile_position(2.4, f) == "below_q1"
    assert quartile_position(2.5, f) == "q1_median"      # on q1: the quarter above
    assert quartile_position(2.9, f) == "q1_median"
    assert quartile_position(3.0, f) == "at_median"      # on the median: neither side
    assert quartile_position(3.5, f) == "median_q3"      # on q3: still the third quarter
    assert quartile_position(3.6, f) == "above_q3"
    assert quartile_position(3.0, Figure(mean=3.0)) is None   # a study without quartiles


def test_peer_group_is_the_level_when_published():
    bench = built({"regional": 6, "municipal": 7})
    peers = peer_group(bench, "regional", RULES)
    assert peers.level == "regional" and peers.n == 6
    assert peers.group.capabilities["partnerships"].median == 4.0


def test_peer_group_falls_back_to_everyone_below_the_minimum():
    bench = built({"regional": 4, "municipal": 7})      # the regional group is not published
    peers = peer_group(bench, "regional", RULES)
    assert peers.level is None and peers.n == 11 and peers.wanted == "regional"
    # A group present in the file but below the benchmark's own minimum is not used either.
    odd = bench.model_copy(update={"levels": {"regional": Group(n=3)}})
    assert peer_group(odd, "regional", RULES).level is None


def test_compare_uses_the_analysis_scores(bundle):
    org = load_org("region-x", bundle)
    analysis = analyse(org, load_benchmark(None, bundle), bundle)
    study = load_benchmark(None, bundle)
    pc = compare(analysis, built({"regional": 6, "municipal": 7}), RULES, study)
    rows = {r.key: r for r in pc.capabilities}
    # region-x: partnerships 4 (the regional median is 4.0 -> at the median), agile_decisions 1.5
    assert rows["partnerships"].score == 4.0 and rows["partnerships"].position == "at_median"
    assert rows["agile_decisions"].score == 1.5
    assert rows["agile_decisions"].position == "below_q1"
    assert rows["competence_diversity"].reference == 3.3      # the 2018 study beside it
    assert rows["digital_leadership"].reference is None


def write_with_previous(tmp_path: Path) -> Path:
    folder = tmp_path / "orgs"
    folder.mkdir()
    data = yaml.safe_load((ORGS / "region-x.yaml").read_text(encoding="utf-8"))
    earlier = dict(data, assessed="2025-10-15", capabilities=dict(
        data["capabilities"], digital_leadership=2, partnerships=2.5),
        effects=dict(data["effects"], cross_processes=3))
    (folder / "region-x-2025.yaml").write_text(yaml.safe_dump(earlier), encoding="utf-8")
    data["previous"] = "region-x-2025.yaml"
    path = folder / "region-x.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_progress_from_a_previous_profile(bundle, tmp_path):
    org = load_org(write_with_previous(tmp_path), bundle)
    prog = progress(org, bundle.framework)
    changes = {c.key: c.change for c in prog.capabilities + prog.effects}
    assert changes["digital_leadership"] == 1.0          # 2 -> 3
    assert changes["partnerships"] == 1.5                # 2.5 -> 4
    assert changes["cross_processes"] == -1.0            # 3 -> 2
    assert changes["new_working_methods"] == 0.0
    assert [c.key for c in prog.declined] == ["cross_processes"]


def test_briefing_shows_progress_and_peers_with_benchmark_and_n(bundle, tmp_path):
    path = write_with_previous(tmp_path)
    bench_path = tmp_path / "kunder-2026.yaml"
    bench_path.write_text(yaml.safe_dump(built({"regional": 6, "municipal": 7}).model_dump(
        mode="json", exclude_none=True), allow_unicode=True), encoding="utf-8")
    bg = Briefgen(Options(out=tmp_path / "out", benchmark=str(bench_path),
                          extra_benchmarks=("dt-offentlig-sektor-2018",)))
    result = bg.make(path)
    text = "\n".join(p.extract_text() for p in PdfReader(result.path).pages)
    # progress: the section, the chart's title and the change in the table
    assert "Förändring sedan förra skattningen" in text
    assert "Region X: 15 oktober 2025 jämfört med 15 oktober 2026" in text
    assert "Partnerskapspotential 2,5 4,0 +1,5" in text
    assert "Optimerade tvärgående processer 3,0 2,0 −1,0" in text
    # peers: the regional group with the benchmark's name and n on the chart and the table
    assert "Jämförelsegruppen är de 6 regionerna i Kunder 2026" in text
    assert "Kunder 2026 · regionerna, n = 6" in text
    assert "Kunder 2026, regionerna, n = 6" in text
    assert "Lägsta fjärdedelen" in text                 # agile decisions 1.5 < q1 3.5
    assert "Studien 2018, medel" in text                 # the study as second reference
    shutil.rmtree(tmp_path / "out")
