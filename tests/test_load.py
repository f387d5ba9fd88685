"""Loading and validating profiles and the shipped data."""

from __future__ import annotations

import copy

import pytest

from briefgen.errors import InputError
from briefgen.load import load_org, resolve_org, validate_profile
from briefgen.reading import read_yaml

from .conftest import write_profile


def test_shipped_examples_load(bundle):
    for org_id in ("region-x", "kommun-y", "myndighet-z"):
        org = load_org(org_id, bundle)
        assert org.id == org_id
        assert set(org.capability_scores) == set(bundle.framework.capability_keys)


def test_composite_capability_is_mean_of_sub_questions(bundle):
    org = load_org("region-x", bundle)
    assert org.capability_scores["data_access_security"] == pytest.approx(2.5)      # (3+2)/2
    assert org.capability_scores["organisational_clarity"] == pytest.approx(7 / 3)  # (3+2+2)/3
    assert org.capability_answers["agile_decisions"] == {"balance_top_down": 2.0,
                                                         "multi_speed": 1.0}


def test_composite_capability_may_be_one_number(bundle, region_x_profile):
    data = copy.deepcopy(region_x_profile)
    data["capabilities"]["agile_decisions"] = 2.5
    org = validate_profile(data, bundle, "x.yaml")
    assert org.capability_scores["agile_decisions"] == 2.5
    assert "agile_decisions" not in org.capability_answers


def _problems(bundle, data) -> list[str]:
    with pytest.raises(InputError) as info:
        validate_profile(data, bundle, "orgs/bad.yaml")
    return info.value.problems


@pytest.mark.parametrize("value, expected", [
    (6, "capabilities.partnerships: 6 is outside 1-5"),
    (0.5, "capabilities.partnerships: 0.5 is outside 1-5"),
    ("hög", "capabilities.partnerships: 'hög' is not a number"),
    (float("nan"), "capabilities.partnerships: nan is not a number from 1 to 5"),
    (float("inf"), "capabilities.partnerships: inf is not a number from 1 to 5"),
    (10**400, "capabilities.partnerships: the number is far too large"),
    (True, "capabilities.partnerships: True is not a number"),
])
def test_bad_scores_are_named(bundle, region_x_profile, value, expected):
    data = copy.deepcopy(region_x_profile)
    data["capabilities"]["partnerships"] = value
    [problem] = _problems(bundle, data)
    assert problem.startswith("orgs/bad.yaml: ")
    assert expected in problem
    assert "allowed" in problem or "1 to 5" in problem


def test_every_problem_is_reported_at_once(bundle, region_x_profile):
    data = copy.deepcopy(region_x_profile)
    del data["capabilities"]["new_working_methods"]
    data["effects"]["citizen_centric"] = 9
    data["capabilites"] = {}
    data["level"] = "county"
    problems = _problems(bundle, data)
    text = "\n".join(problems)
    assert len(problems) == 4
    assert "capabilities.new_working_methods: missing" in text
    assert "effects.citizen_centric: 9 is outside 1-5" in text
    assert "capabilites: unknown key; did you mean 'capabilities'?" in text
    assert "level: must be 'state', 'regional' or 'municipal'" in text


def test_unknown_capability_and_sub_question_suggest_the_right_key(bundle, region_x_profile):
    data = copy.deepcopy(region_x_profile)
    data["capabilities"]["partnership"] = data["capabilities"].pop("partnerships")
    data["capabilities"]["data_access_security"] = {"collect_store": 3, "insights": 2}
    text = "\n".join(_problems(bundle, data))
    assert "capabilities.partnership: unknown key; did you mean 'partnerships'?" in text
    assert "capabilities.data_access_security.insights: unknown sub-question; did you mean " \
           "'insight'?" in text


def test_problem_lines_point_into_the_file(data_dir, region_x_profile):
    from briefgen.load import load_data

    bundle = load_data(data_dir)
    data = copy.deepcopy(region_x_profile)
    data["capabilities"]["partnerships"] = 7
    path = write_profile(data_dir, data)
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1)
                if "partnerships: 7" in text)
    with pytest.raises(InputError) as info:
        load_org(str(path), bundle)
    assert f"region-x.yaml:{line}: capabilities.partnerships: 7 is outside 1-5" in str(info.value)


def test_unknown_org_lists_the_known_ones(bundle):
    with pytest.raises(InputError) as info:
        resolve_org("regon-x", bundle)
    message = str(info.value)
    assert "unknown organisation 'regon-x'; did you mean 'region-x'?" in message
    assert "kommun-y" in message and "myndighet-z" in message


@pytest.mark.parametrize("spec", ["../../etc/x", "..", "Region-X", "a b", "x;rm"])
def test_ids_that_are_not_slugs_are_refused(bundle, spec):
    with pytest.raises(InputError) as info:
        resolve_org(spec, bundle)
    assert "--org" in str(info.value)


@pytest.mark.parametrize("text, expected", [
    ("id: [unclosed\n", "malformed YAML"),
    ("a: 1\na: 2\n", "duplicate key 'a'"),
    ("x: !!python/object/apply:os.system ['true']\n", "YAML tags such as"),
    ("a: &a [1,1,1,1,1,1,1,1,1]\n" + "".join(f"b{i}: &b{i} [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                                            for i in range(12)), "aliases"),
    ("a: &a 1\nb: [" + ", ".join(["*a"] * 101) + "]\n", "more than 100 aliases"),
    ("a: &a 1\nb: [" + ", ".join(["*a"] * 100) + "]\nc: [\n", "malformed YAML"),
])
def test_hostile_or_broken_yaml_is_refused(tmp_path, text, expected):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        read_yaml(path)
    assert str(info.value).startswith(str(path)) or str(info.value).startswith("p.yaml")
    assert expected in str(info.value)


def test_non_utf8_profile_is_refused(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: Växjö kommun\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        read_yaml(path)


def test_id_must_match_the_file_name_in_the_orgs_folder(data_dir, region_x_profile):
    from briefgen.load import load_data

    write_profile(data_dir, region_x_profile | {"id": "region-y"}, name="region-x")
    with pytest.raises(InputError, match=r"region-x.yaml:\d+: id: 'region-y' differs from the "
                                         r"file name"):
        load_org("region-x", load_data(data_dir))


def test_the_frameworks_scale_must_be_the_scores_scale(data_dir):
    """framework.yaml's scale and the 1-5 every score is checked against cannot drift apart."""
    from briefgen.errors import DataError
    from briefgen.load import load_data

    path = data_dir / "framework.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("- value: 5", "- value: 6", 1), encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("scale:"))
    with pytest.raises(DataError) as info:
        load_data(data_dir)
    assert str(info.value) == (f"{path}:{line}: scale: Value error, the steps must be "
                               "1, 2, 3, 4, 5 in this order (every score is checked against "
                               "1-5), not 1, 2, 3, 4, 6")


def test_the_capabilities_ranks_run_from_one_to_their_count(data_dir):
    """Urgency weighs a rank by the number of capabilities: the ranks must be 1 to that count."""
    from briefgen.errors import DataError
    from briefgen.load import load_data

    path = data_dir / "framework.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("rank: 7", "rank: 8", 1),
                    encoding="utf-8")
    with pytest.raises(DataError, match=r"capabilities: Value error, the ranks must be 1 to 7, "
                                        r"each once, not 1, 2, 3, 4, 5, 6, 8$"):
        load_data(data_dir)
