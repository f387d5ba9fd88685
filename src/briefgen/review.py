"""The consultant's review: the rules' advice as editable YAML, checked and applied to the briefing.

``briefgen review --org ID`` writes ``reviews/ID.yaml`` (``reviews/ID-en.yaml`` for English):
the priorities, the summary's paragraphs, the recommendations with their reasons and
initiatives, an empty list for the consultant's own findings, and ``made_for``, the scores the
proposal was made for. The consultant edits the words; ``make`` (and ``batch``, ``serve``, the
kit) then uses them: what was removed appears nowhere, what was added or reworded appears
everywhere the advice does. Figures cannot be edited: targets name an area and their value
follows the rules. A review made for other scores is refused until ``--update`` brings it up to
date, keeping the consultant's edits where they still apply. Format: docs/review.md.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from .advice import Advice, Advised, Finding, Step
from .analyse import Analysis, Target, area_target, status_of, step_target
from .errors import InputError
from .fonts import describe, missing_glyphs
from .load import DataBundle
from .match import HORIZON_ORDER, MatchedPractice, Matches, reason_for
from .models import HORIZONS, SLUG_RE, round1
from .reading import did_you_mean, display_path, line_of, read_yaml
from .texts import Texts

log = logging.getLogger(__name__)

FORMAT = 1                  # the review file's format version
MAX_TEXT = 1500             # characters in one text
MAX_FINDINGS = 30
MAX_RECOMMENDATIONS = 8
MAX_INITIATIVES = 6         # per recommendation

TOP_KEYS = ("review", "org", "lang", "priorities", "summary", "recommendations", "findings",
            "made_for")
REC_KEYS = ("id", "title", "reason", "initiatives")
STEP_KEYS = ("id", "title", "owner", "horizon", "first_step", "done_when", "target")
SUMMARY_KEYS = ("stand", "position")


def review_name(org_id: str, lang: str) -> str:
    """``ID.yaml`` in Swedish, ``ID-LANG.yaml`` in another language (as the PDFs are named)."""
    return f"{org_id}.yaml" if lang == "sv" else f"{org_id}-{lang}.yaml"


def find_review(explicit: Path | None, config: Path | None, org_id: str,
                lang: str) -> Path | None:
    """The review that applies to an organisation's briefing in ``lang``: the one given
    (``--review``), else the workspace's ``reviews/ID.yaml`` (``ID-en.yaml``) if there is one."""
    if explicit is not None:
        if not Path(explicit).is_file():
            raise InputError(f"--review: {explicit}: no such file")
        return Path(explicit)
    if config is None:
        return None
    path = Path(config).parent / "reviews" / review_name(org_id, lang)
    return path if path.is_file() else None


@dataclass(frozen=True)
class Priority:
    key: str
    reason: str | None = None      # the consultant's, needed when not below the reference


@dataclass(frozen=True)
class Review:
    """A checked review file."""

    path: str                      # for messages
    org: str
    lang: str
    priorities: tuple[Priority, ...]
    summary: dict[str, str]
    recommendations: tuple[dict, ...]  # each: id, title, reason, initiatives (dicts)
    findings: tuple[Finding, ...]
    made_for: dict


# --------------------------------------------------------------------------- the proposal


def made_for(analysis: Analysis, lang: str) -> dict[str, Any]:
    """What a review is made for: the benchmark and every score the advice depends on."""
    org = analysis.org
    return {
        "benchmark": analysis.benchmark.id,
        "benchmark_version": str(analysis.benchmark.version),
        "lang": lang,
        "assessed": org.profile.assessed.isoformat(),
        "level": org.profile.level,
        "phase": analysis.maturity.phase,
        "importance": org.profile.importance,
        "capabilities": {c.key: c.score for c in analysis.capabilities},
        "answers": {k: {q: round1(v) for q, v in a.items()}
                    for k, a in org.capability_answers.items()},
        "effects": {e.key: e.score for e in analysis.effects},
        "targets": {k: round1(v) for k, v in org.profile.targets.items()},
        "ranking": list(org.profile.ranking or []),
    }


def _fingerprint(value: Any) -> str:
    data = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()[:12]


def _step_data(s: Step) -> dict[str, Any]:
    return {"id": s.id, "title": s.title, "owner": s.owner, "horizon": s.horizon,
            "first_step": s.first_step, "done_when": s.done_when,
            "target": s.target.key if s.target else None}


def proposal(analysis: Analysis, advice: Advice) -> dict[str, Any]:
    """The review file's data for the rules' advice, with the fingerprints that let
    ``--update`` tell the consultant's edits from the proposal."""
    recs = [{"id": r.id, "title": r.title, "reason": r.reason,
             "initiatives": [_step_data(s) for s in r.steps]}
            for r in advice.recommendations]
    data: dict[str, Any] = {
        "review": FORMAT,
        "org": analysis.org.id,
        "lang": advice.lang,
        "priorities": list(advice.priorities),
        "summary": dict(advice.summary),
        "recommendations": recs,
        "findings": [],
    }
    data["made_for"] = dict(made_for(analysis, advice.lang), proposal=fingerprints(data))
    return data


def fingerprints(data: dict[str, Any]) -> dict[str, str]:
    """One fingerprint per editable item of a review's data, by where it is."""
    prints = {"priorities": _fingerprint(data["priorities"])}
    for key, text in data["summary"].items():
        prints[f"summary.{key}"] = _fingerprint(text)
    for r in data["recommendations"]:
        prints[f"{r['id']}.title"] = _fingerprint(r["title"])
        prints[f"{r['id']}.reason"] = _fingerprint(r["reason"])
        for s in r["initiatives"]:
            if s.get("id"):
                prints[f"{r['id']}/{s['id']}"] = _fingerprint(s)
    return prints


HEADER = """\
# briefgen review of the advice for {name} ({org}), in {language}.
# Edit what the client should read, then run: briefgen make --org {org}{lang_option}
#
# priorities       capability keys, most urgent first (at most {top}). One that is not more
#                  than {tol} below its reference needs your reason:
#                    - {{key: partnerships, reason: "Intervjuerna visar ..."}}
# summary          the two paragraphs under "{stand_h}"; "" leaves one out.
# recommendations  reorder, reword or delete; add one of the study's (rec-1 ... rec-6) or one
#                  of your own (an id of your choosing), each with a title and a reason.
#   initiatives    title, owner, horizon (0-3, 3-12 or 12-24 months), first_step, done_when and
#                  target: the area it aims at (its figure follows the rules, see
#                  docs/method.md), or null for none. Delete one to drop it.
# findings         your own observations, each {{text: "...", source: "interviews"}} (source
#                  optional). They get a section of their own in the briefing and the deck.
# made_for         the scores this review was made for: briefgen checks them, do not edit.
#                  When the profile or survey changes: briefgen review --org {org} --update
# Scores, references and target values are figures and cannot be edited here. docs/review.md
"""


COMMENTS_NOTE = """\
#   The respondents' comments in the survey, for you to quote in a finding if you wish. They
#   are not data: none of them reaches the briefing unless you write it into a finding above.
"""
# Every character YAML (PyYAML) or an editor could take for the end of a line.
_LINE_BREAKS = str.maketrans({c: " " for c in "\r\n\x0b\x0c\x85\u2028\u2029"})


def comment_lines(comments: list[tuple[str, str]], t: Texts) -> str:
    """The survey's comments as YAML comment lines, each after the part it was given on."""
    import textwrap

    lines = [COMMENTS_NOTE.rstrip("\n")]
    for part, text in comments:
        flat = " ".join(text.translate(_LINE_BREAKS).split())
        # Words stay whole, a hyphenated one and a link too (to be copied as it is): a line
        # longer than the rest is no problem in a comment.
        lines.extend(textwrap.wrap(f"[{t(f'survey_part_{part}')}] {flat}", width=92,
                                   initial_indent="#   - ", subsequent_indent="#     ",
                                   break_long_words=False, break_on_hyphens=False))
    return "\n".join(lines) + "\n"


def review_yaml(data: dict[str, Any], analysis: Analysis, t: Texts, tolerance: float,
                top: int, comments: list[tuple[str, str]] | None = None) -> str:
    """The review file's text: a header that explains it, then the data as block YAML, with
    the survey's ``comments`` (part, text) as YAML comments under ``findings:``."""
    lang = data["lang"]
    header = HEADER.format(
        name=analysis.org.name.replace("\n", " "), org=data["org"],
        language={"sv": "Swedish", "en": "English"}.get(lang, lang),
        lang_option="" if lang == "sv" else f" --lang {lang}", top=top,
        tol=t.num(tolerance), stand_h=t("summary_stand_h"))
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=96,
                          default_flow_style=False)
    if comments:
        at = body.index("\nfindings:") + 1
        at = body.index("\n", at) + 1            # after the findings: line
        body = body[:at] + comment_lines(comments, t) + body[at:]
    return header + body


# --------------------------------------------------------------------------- reading


def read_review(path: Path, bundle: DataBundle) -> Review:
    """Read and check a review file; every problem is one line with file, line and field."""
    name = display_path(path)
    data, node = read_yaml(path)
    problems: list[str] = []
    absent: set[tuple] = set()  # keys already reported missing: not again as missing text
    fw = bundle.framework
    areas = [*fw.capability_keys, *fw.effect_keys]

    def problem(loc: tuple, msg: str, at_line: bool = True) -> None:
        line = line_of(node, loc) if at_line else None
        where = f"{name}:{line}" if line else name
        field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
        problems.append(f"{where}: {field or '(top level)'}: {msg}")

    def text(loc: tuple, value: Any, required: bool = True) -> str | None:
        if value is None and not required:
            return None
        if not isinstance(value, str):
            if value is not None or loc not in absent:
                problem(loc, "must be text" if value is not None else "missing (text is needed)")
            return None
        if len(value) > MAX_TEXT:
            problem(loc, f"{len(value):,} characters; at most {MAX_TEXT:,} allowed")
        if missing := missing_glyphs(value):
            problem(loc, f"the briefing's fonts cannot draw {describe(missing)}")
        return value

    def keys(loc: tuple, value: Any, allowed: tuple[str, ...], required: tuple[str, ...]) -> bool:
        if not isinstance(value, dict):
            problem(loc, f"must be a mapping with {', '.join(required)}")
            return False
        for key in value:
            if key not in allowed:
                problem((*loc, key), f"unknown key{did_you_mean(str(key), list(allowed))} "
                        f"(allowed: {', '.join(allowed)})")
        for key in required:
            if key not in value:
                problem((*loc, key), "missing", at_line=bool(loc))
                absent.add((*loc, key))
        return True

    if not keys((), data, TOP_KEYS, TOP_KEYS):
        raise InputError(problems)
    if data.get("review") != FORMAT:
        problem(("review",), f"must be {FORMAT} (the format this briefgen reads)")
    org = data.get("org")
    lang = data.get("lang")
    if not isinstance(org, str) or not SLUG_RE.match(org):
        problem(("org",), "must be the organisation's id")
    if lang not in ("sv", "en"):
        problem(("lang",), "must be sv or en")

    priorities: list[Priority] = []
    raw = data.get("priorities")
    if not isinstance(raw, list):
        problem(("priorities",), "must be a list of capability keys ([] for none)")
        raw = []
    for i, item in enumerate(raw):
        key, reason = (item, None) if not isinstance(item, dict) else \
            (item.get("key"), item.get("reason"))
        if isinstance(item, dict):
            keys(("priorities", i), item, ("key", "reason"), ("key",))
            reason = text(("priorities", i, "reason"), reason, required=False)
        if key not in fw.capability_keys:
            problem(("priorities", i), f"unknown capability '{key}'"
                    f"{did_you_mean(str(key), fw.capability_keys)} (allowed: "
                    f"{', '.join(fw.capability_keys)})")
        elif key in [p.key for p in priorities]:
            problem(("priorities", i), f"'{key}' is named twice")
        else:
            priorities.append(Priority(key, reason or None))
    top = bundle.rules.priorities.top
    if len(raw) > top:
        problem(("priorities",), f"{len(raw)} priorities; at most {top} "
                "(rules.yaml: priorities.top)")

    summary: dict[str, str] = {}
    if keys(("summary",), data.get("summary"), SUMMARY_KEYS, SUMMARY_KEYS):
        for key in SUMMARY_KEYS:
            if key in data["summary"]:
                summary[key] = text(("summary", key), data["summary"][key]) or ""

    recs: list[dict] = []
    raw = data.get("recommendations")
    if not isinstance(raw, list):
        problem(("recommendations",), "must be a list ([] for none)")
        raw = []
    if len(raw) > MAX_RECOMMENDATIONS:
        problem(("recommendations",), f"{len(raw)} recommendations; at most "
                f"{MAX_RECOMMENDATIONS}")
    for i, r in enumerate(raw):
        loc = ("recommendations", i)
        if not keys(loc, r, REC_KEYS, ("id", "title", "reason")):
            continue
        rid = r.get("id")
        if not isinstance(rid, str) or not SLUG_RE.match(rid):
            problem((*loc, "id"), "must be rec-1 ... rec-6 or an id of your own (lower-case "
                    "letters, digits and '-')")
        elif rid in [x["id"] for x in recs]:
            problem((*loc, "id"), f"'{rid}' is named twice")
        rec = {"id": rid, "title": text((*loc, "title"), r.get("title")),
               "reason": text((*loc, "reason"), r.get("reason")), "initiatives": []}
        steps = r.get("initiatives", [])
        if not isinstance(steps, list):
            problem((*loc, "initiatives"), "must be a list ([] for none)")
            steps = []
        if len(steps) > MAX_INITIATIVES:
            problem((*loc, "initiatives"), f"{len(steps)} initiatives; at most "
                    f"{MAX_INITIATIVES}")
        for j, s in enumerate(steps):
            sloc = (*loc, "initiatives", j)
            if not keys(sloc, s, STEP_KEYS, ("title", "owner", "horizon", "first_step",
                                             "done_when")):
                continue
            horizon = str(s.get("horizon", ""))
            if "horizon" in s and horizon not in HORIZONS:  # a missing one is named above
                problem((*sloc, "horizon"), f"'{horizon}' is not allowed (allowed: "
                        f"{', '.join(HORIZONS)})")
            target = s.get("target")
            if isinstance(target, (int, float)) and not isinstance(target, bool):
                problem((*sloc, "target"), "name the area, not a figure: target values follow "
                        "the rules (docs/method.md)")
            elif target is not None and target not in areas:
                problem((*sloc, "target"), f"unknown area '{target}'"
                        f"{did_you_mean(str(target), areas)} (allowed: a capability or effect "
                        "area key, or null)")
            sid = s.get("id")
            if sid is not None and not isinstance(sid, str):
                problem((*sloc, "id"), "must be text")
            rec["initiatives"].append({
                "id": sid, "horizon": horizon, "target": target,
                **{k: text((*sloc, k), s.get(k)) for k in
                   ("title", "owner", "first_step", "done_when")}})
        recs.append(rec)

    findings: list[Finding] = []
    raw = data.get("findings")
    if not isinstance(raw, list):
        problem(("findings",), "must be a list ([] for none)")
        raw = []
    if len(raw) > MAX_FINDINGS:
        problem(("findings",), f"{len(raw)} findings; at most {MAX_FINDINGS}")
    for i, f in enumerate(raw):
        if keys(("findings", i), f, ("text", "source"), ("text",)):
            found = text(("findings", i, "text"), f.get("text"))
            source = text(("findings", i, "source"), f.get("source"), required=False)
            if found:
                findings.append(Finding(found, source or None))

    made = data.get("made_for")
    if "made_for" in data and not isinstance(made, dict):
        problem(("made_for",), "must be the mapping briefgen wrote; make the review again "
                "with briefgen review")
    if not isinstance(made, dict):
        made = {}
    if problems:
        raise InputError(problems)
    return Review(path=name, org=org, lang=lang, priorities=tuple(priorities),
                  summary=summary, recommendations=tuple(recs), findings=tuple(findings),
                  made_for=made)


# --------------------------------------------------------------------------- checking


def changes(made: dict, now: dict, t: Texts) -> list[str]:
    """What differs between the scores a review was made for and today's, in words."""
    out = []
    for key in ("benchmark", "benchmark_version", "lang", "assessed", "level", "phase",
                "importance", "ranking"):
        if made.get(key) != now[key]:
            out.append(f"{key} {made.get(key)!s} -> {now[key]!s}")
    for section in ("capabilities", "effects", "targets"):
        before, after = made.get(section) or {}, now[section]
        for key in sorted(set(before) | set(after)):
            if before.get(key) != after.get(key):
                out.append(f"{section}.{key} {_num(before.get(key), t)} -> "
                           f"{_num(after.get(key), t)}")
    before, after = made.get("answers") or {}, now["answers"]
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            out.append(f"capabilities.{key}: its sub-questions' answers changed")
    return out


def _num(value: Any, t: Texts) -> str:
    return t.num(value) if isinstance(value, (int, float)) else "none"


def check_review(review: Review, analysis: Analysis, lang: str, t: Texts) -> None:
    """Refuse a review made for another organisation, language or other scores (exit 2)."""
    if review.org != analysis.org.id:
        raise InputError(f"{review.path}: org: the review is for '{review.org}', not "
                         f"'{analysis.org.id}'")
    if review.lang != lang:
        raise InputError(f"{review.path}: lang: the review is in '{review.lang}', the briefing "
                         f"in '{lang}'; make one with briefgen review --org {analysis.org.id} "
                         f"--lang {lang}")
    differ = changes(review.made_for, made_for(analysis, lang), t)
    if differ:
        shown = "; ".join(differ[:6]) + (f"; and {len(differ) - 6} more" if len(differ) > 6
                                          else "")
        raise InputError(f"{review.path}: made_for: the review was made for other scores "
                         f"({shown}); bring it up to date with briefgen review --org "
                         f"{analysis.org.id} --update")


# --------------------------------------------------------------------------- applying


def apply_review(review: Review, analysis: Analysis, matches: Matches, advice: Advice,
                 bundle: DataBundle, t: Texts) -> tuple[Analysis, Matches, Advice]:
    """The briefing's analysis, practices and advice with the consultant's review in force."""
    rules, library = bundle.rules, bundle.library
    problems = []
    keys = [p.key for p in review.priorities]
    for i, p in enumerate(review.priorities):
        cap = analysis.capability(p.key)
        if not cap.below and not p.reason:
            problems.append(
                f"{review.path}: priorities[{i}]: {p.key} is not more than "
                f"{t.num(rules.priorities.tolerance)} below its reference ({t.num(cap.score)} "
                f"against {t.num(cap.reference)}); give your reason as {{key: {p.key}, "
                "reason: \"...\"}")
    if problems:
        raise InputError(problems)
    caps = [replace(c, status="priority" if c.key in keys else status_of(c, rules))
            for c in analysis.capabilities]
    focus = keys if (keys or analysis.track == "gaps") else analysis.focus
    reviewed = replace(analysis, capabilities=caps, priorities=keys, focus=focus,
                       priority_notes={p.key: p.reason for p in review.priorities if p.reason})

    practices = {}
    for key in focus:
        cap = reviewed.capability(key)
        if analysis.capability(key).status == "strength" and not cap.below \
                and analysis.track == "lead":
            continue  # the lead track builds on strengths: no practices to raise them
        reason = reason_for(cap, "capability", cap.urgency, cap.rank, cap.status)
        chosen = [p for p in library.practices if p.area == "capability"
                  and p.addresses == key][: rules.matching.practices_per_priority]
        practices[key] = [MatchedPractice(p, reason) for p in chosen]
    matches = replace(matches, capability_practices=practices)

    by_id = {r.recommendation.id: r for r in matches.recommendations}
    recs = []
    for r in review.recommendations:
        study = next((x for x in library.recommendations if x.id == r["id"]), None)
        steps = tuple(sorted(
            (Step(id=s["id"], title=s["title"], owner=s["owner"], horizon=s["horizon"],
                  first_step=s["first_step"], done_when=s["done_when"],
                  areas=_areas(s, study),
                  target=_target(s["target"], reviewed, rules) if s["target"] else None)
             for s in r["initiatives"]), key=lambda s: HORIZON_ORDER[s.horizon]))
        recs.append(Advised(
            id=r["id"], number=study.number if study else None, title=r["title"],
            reason=r["reason"], summary=study.summary(t.lang) if study else "",
            next_steps=tuple(s(t.lang) for s in study.next_steps) if study else (),
            steps=steps,
            reasons=tuple(by_id[r["id"]].reasons) if r["id"] in by_id else ()))
    proposed = {k.split(".")[0] for k in review.made_for.get("proposal", {})
                if k.endswith(".title")}
    removed = tuple(sorted(proposed - {r.id for r in recs}))
    advice = replace(advice, priorities=tuple(keys), summary=dict(review.summary),
                     recommendations=tuple(recs), findings=review.findings,
                     priority_notes=dict(reviewed.priority_notes), review=review.path,
                     removed=removed)
    log.info("%s: review %s applied", analysis.org.id, review.path)
    return reviewed, matches, advice


def _areas(step: dict, rec) -> tuple[str, ...]:
    """What a reviewed initiative works on: its target first, then the library's areas."""
    known = next((i for i in rec.initiatives if i.id == step["id"]), None) if rec else None
    areas = list(known.areas) if known else []
    if step["target"]:
        areas = [step["target"], *[a for a in areas if a != step["target"]]]
    return tuple(areas)


def _target(key: str, analysis: Analysis, rules) -> Target:
    """The figure for a target a review names: the profile's own, else the rules'."""
    own = analysis.target(key)
    if own is not None:
        return own
    item = analysis.area(key)
    return step_target(item, rules) if item.below else area_target(item, rules)


# --------------------------------------------------------------------------- updating


def updated(old: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A review for new scores (``new``, the rules' proposal) that keeps the consultant's
    edits of ``old`` where they still apply, and the list of what was dropped or changed.

    Texts the rules word from the scores (the summary's paragraphs, each recommendation's
    reason) are written anew; a consultant's rewording of them is dropped and named. Titles,
    initiatives and findings the consultant edited, removed or added stay as they made them.
    """
    said: list[str] = []
    before = (old.get("made_for") or {}).get("proposal") or {}

    def edited(where: str, value: Any) -> bool:
        return where in before and before[where] != _fingerprint(value)

    out: dict[str, Any] = {k: new[k] for k in ("review", "org", "lang")}
    if edited("priorities", old["priorities"]):
        out["priorities"] = old["priorities"]
        said.append("priorities: kept your list (check each against the new scores)")
    else:
        out["priorities"] = new["priorities"]
    out["summary"] = {}
    for key, text in new["summary"].items():
        if edited(f"summary.{key}", old["summary"].get(key)):
            said.append(f"summary.{key}: your wording was dropped (it states the old scores); "
                        "the new one is in its place")
        out["summary"][key] = text

    new_recs = {r["id"]: r for r in new["recommendations"]}
    proposed_before = {k.split(".")[0] for k in before if k.endswith(".title")}
    recs = []
    for r in old["recommendations"]:
        rid = r["id"]
        fresh = new_recs.get(rid)
        was_proposed = rid in proposed_before
        touched = (edited(f"{rid}.title", r["title"]) or edited(f"{rid}.reason", r["reason"])
                   or any(edited(f"{rid}/{s.get('id')}", s) for s in r["initiatives"]
                          if s.get("id")) or any(not s.get("id") for s in r["initiatives"]))
        if not was_proposed:
            said.append(f"{rid}: kept as you wrote it" + (
                "; the rules now choose it too" if fresh is not None else ""))
            recs.append(r)
            continue
        if fresh is None:
            if not touched:
                said.append(f"{rid}: dropped; the new scores no longer call for it")
                continue
            said.append(f"{rid}: kept as you had it, though the rules no longer choose it")
            recs.append(r)
            continue
        merged = dict(fresh)
        if edited(f"{rid}.title", r["title"]):
            merged["title"] = r["title"]
        if edited(f"{rid}.reason", r["reason"]):
            said.append(f"{rid}.reason: your wording was dropped (it states the old scores); "
                        "the new one is in its place")
        merged["initiatives"] = _merge_steps(rid, r["initiatives"], fresh["initiatives"],
                                             before, edited, said)
        recs.append(merged)
    kept = {r["id"] for r in recs}
    removed = proposed_before - {r["id"] for r in old["recommendations"]}
    for rid, fresh in new_recs.items():
        if rid in kept:
            continue
        if rid in removed:
            said.append(f"{rid}: still left out, as you had it")
            continue
        said.append(f"{rid}: added; the new scores call for it")
        recs.append(fresh)
    out["recommendations"] = recs
    out["findings"] = old.get("findings") or []
    out["made_for"] = dict(new["made_for"])
    out["made_for"]["proposal"] = _carried_prints(new, old, before)
    return out, said


def _merge_steps(rid: str, old_steps: list[dict], fresh_steps: list[dict], before: dict,
                 edited, said: list[str]) -> list[dict]:
    """The recommendation's initiatives for the new scores, with the consultant's edited,
    added and removed ones kept as they made them."""
    proposed_before = {k.split("/", 1)[1] for k in before if k.startswith(f"{rid}/")}
    old_ids = {s.get("id") for s in old_steps if s.get("id")}
    fresh_ids = {s["id"] for s in fresh_steps}
    steps = []
    for s in fresh_steps:
        if s["id"] in proposed_before and s["id"] not in old_ids:
            said.append(f"{rid}/{s['id']}: still left out, as you had it")
            continue
        mine = next((o for o in old_steps if o.get("id") == s["id"]), None)
        if mine is not None and edited(f"{rid}/{s['id']}", mine):
            steps.append(mine)
        else:
            steps.append(s)
    for o in old_steps:
        if not o.get("id") or o["id"] not in proposed_before:
            steps.append(o)  # the consultant's own
        elif o["id"] not in fresh_ids and edited(f"{rid}/{o['id']}", o):
            said.append(f"{rid}/{o['id']}: kept as you edited it, though the rules no longer "
                        "choose it")
            steps.append(o)
        elif o["id"] not in fresh_ids:
            said.append(f"{rid}/{o['id']}: dropped; the new scores no longer call for it")
    return sorted(steps, key=lambda s: HORIZON_ORDER.get(str(s.get("horizon")), 9))


def _carried_prints(new: dict, old: dict, before: dict) -> dict[str, str]:
    """The new proposal's fingerprints, so that a later update knows the proposal again;
    items kept from the old proposal keep the print they had, so their edits stay edits."""
    prints = dict(new["made_for"]["proposal"])
    for key, value in before.items():
        prints.setdefault(key, value)
    return prints


# --------------------------------------------------------------------------- the command


def review_path(bg, org_id: str, lang: str, out: Path | None) -> Path:
    """Where ``briefgen review`` writes: ``--out``, else the workspace's reviews folder."""
    if out is not None:
        if Path(out).suffix not in (".yaml", ".yml"):
            raise InputError(f"--out: '{out}' must end in .yaml")
        return Path(out)
    if bg.options.config is None:
        raise InputError("review: no workspace here (no briefgen.toml in this folder or a "
                         "parent); give --out FILE, or make one with briefgen init")
    return Path(bg.options.config).parent / "reviews" / review_name(org_id, lang)


def _as_data(review: Review) -> dict[str, Any]:
    """A checked review as the data :func:`update` compares with a proposal."""
    return {
        "priorities": [p.key if p.reason is None else {"key": p.key, "reason": p.reason}
                       for p in review.priorities],
        "summary": dict(review.summary),
        "recommendations": [dict(r) for r in review.recommendations],
        "findings": [{"text": f.text, **({"source": f.source} if f.source else {})}
                     for f in review.findings],
        "made_for": review.made_for,
    }


def write_review(bg, org_spec: str, out: Path | None, update: bool = False,
                 replace: bool = False) -> tuple[Path, list[str]]:
    """Write the rules' proposal for ``org_spec`` as a review file (``update``: merged with the
    consultant's existing review); return its path and what an update dropped or changed."""
    from .advice import advise
    from .output import write_atomic

    analysis, matches = bg.analyse(org_spec)
    t = bg.texts_for(analysis)
    advice = advise(analysis, matches, bg.bundle.library, bg.bundle.rules, t)
    data = proposal(analysis, advice)
    path = review_path(bg, analysis.org.id, t.lang, out)
    said: list[str] = []
    if path.exists():
        if update:
            old = read_review(path, bg.bundle)
            if old.org != analysis.org.id or old.lang != t.lang:
                raise InputError(f"{display_path(path)}: the review is for '{old.org}' in "
                                 f"'{old.lang}', not '{analysis.org.id}' in '{t.lang}'")
            data, said = updated(_as_data(old), data)
            if not said and not changes(old.made_for, data["made_for"], t):
                said = ["already up to date"]
        elif not replace:
            raise InputError(f"{display_path(path)}: a review exists already; --update brings "
                             "it up to date with new scores and keeps your edits, --replace "
                             "starts again from the rules' proposal")
    elif update:
        raise InputError(f"{display_path(path)}: no review to update; leave out --update to "
                         "write one")
    p = bg.bundle.rules.priorities
    # A survey's comments are listed for the consultant, never carried as data.
    comments = bg.survey().comments(analysis.org.id) if bg.options.survey else []
    write_atomic(path, review_yaml(data, analysis, t, p.tolerance, p.top, comments).encode())
    return path, said
