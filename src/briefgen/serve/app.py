"""The web application: the respondents' form and the consultant's admin pages (Starlette).

Every page is plain HTML that works without JavaScript; a small same-origin script
(``static/autosave.js``) saves a section when an answer changes, if scripts run. A link that is
wrong, belongs to another organisation, is used up or whose round is closed gets the same 404
page as a path that does not exist.

The handlers are plain module-level functions; what they share (the store, the framework, the
templates, the security objects) is on ``request.app.state``. :data:`ROUTES` lists every route
with who may use it, and :func:`routes` puts each handler behind
:func:`briefgen.serve.security.guard`, which does every check before the handler runs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import tempfile
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from ..errors import BriefgenError
from ..load import DataBundle, load_data, load_org
from ..models import IMPORTANCE_LEVELS, SLUG_RE, Org
from ..options import LANGS
from ..output import pdf_name
from ..survey.columns import MAX_COMMENT, MAX_ROLE
from .mail import REMIND_GAP, SmtpSettings
from .questions import SECTIONS, all_keys, check_posted, sections, survey_bytes
from .security import (
    ADMIN,
    LOGIN,
    PUBLIC,
    RESPONDENT,
    AdminAuth,
    Csrf,
    CsrfRefused,
    LoginRequired,
    Outermost,
    guard,
)
from .settings import MAX_RESPONDENTS, Engagement
from .store import AnswersLocked, Respondent, Store, comment_tag, token_hash
from .words import UiText

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
AUTOSAVE_HEADER = "x-briefgen-autosave"


# Characters that change how the text around them is shown without showing themselves:
# controls, bidi marks and overrides, zero-width characters (Unicode's Cc and Cf), and the
# line and paragraph separators.
HIDDEN_CATEGORIES = ("Cc", "Cf", "Zl", "Zp")


def visible(text: object, keep: str = "") -> str:
    """``text`` with every invisible or reordering character shown as its code (⟨U+202E⟩),
    but those in ``keep``."""
    return "".join(f"⟨U+{ord(c):04X}⟩" if unicodedata.category(c) in HIDDEN_CATEGORIES
                   and c not in keep else c for c in str(text))


def visible_text(text: object) -> str:
    """A comment as :func:`visible` shows a name, its line breaks kept."""
    return visible(text, keep="\n\t")


@dataclass
class Config:
    store: Store
    bundle: DataBundle
    admin_secret: str | None = None
    admin_lang: str = "sv"
    base_url: str | None = None       # where links made on the admin page point; None: nowhere
    data: Path | None = None          # --data, handed on to the briefing pipeline
    engagement: Engagement = Engagement()   # the firm, its look, the deadline, the privacy
    smtp: SmtpSettings | None = None  # the firm's mail server; None: no e-mail


class App(Starlette):
    """Starlette with :class:`~briefgen.serve.security.Outermost` around everything, its
    error layer included, so that a 500 page carries the security headers too."""

    def build_middleware_stack(self) -> ASGIApp:
        return Outermost(super().build_middleware_stack())


# --------------------------------------------------------------------------- pages


def page(request: Request, template: str, lang: str, status: int = 200,
         **context: object) -> HTMLResponse:
    """Render a page with the CSRF token its forms need (see :func:`form_token`)."""
    state = request.app.state
    token, nonce = form_token(request)
    e = state.config.engagement
    html = state.templates.get_template(template).render(
        t=UiText(lang), lang=lang, csrf=token, fw=state.config.bundle.framework, brand=e,
        privacy=bool(e.privacy), today=dt.date.today(), **context)
    response = HTMLResponse(html, status_code=status)
    if nonce:
        state.csrf.set_nonce(response, request, nonce)
    return response


def form_token(request: Request) -> tuple[str, str | None]:
    """The token for this page's forms, by who the page is for; and a new sign-in nonce to set
    as a cookie, if one was made."""
    csrf: Csrf = request.app.state.csrf
    access = getattr(request.scope.get("endpoint"), "access", None)
    if access == ADMIN and getattr(request.state, "session", None):
        return csrf.session_token(request.state.session), None
    if access == RESPONDENT:
        return csrf.link_token(token_hash(request.path_params["token"])), None
    if access == LOGIN:
        nonce, new = csrf.nonce(request)
        return csrf.login_token(nonce), nonce if new else None
    return "", None


def message(request: Request, lang: str, status: int, title: str,
            lead: str | None = None, **context: object) -> HTMLResponse:
    return page(request, "message.html", lang, status, title_key=title, lead_key=lead,
                **context)


def not_found(request: Request, lang: str = "sv") -> HTMLResponse:
    return message(request, lang, 404, "not_found_title", "not_found_lead")


async def write(request: Request, fn, *args):
    """Run a database write in a worker thread. SQLite has one writer at a time: queue writers
    here, on the event loop, rather than in threads blocked on the database lock, so reads
    keep their threads meanwhile."""
    gate = request.app.state.write_gate
    if gate is None:
        return await run_in_threadpool(fn, *args)
    async with gate:
        return await run_in_threadpool(fn, *args)


# --------------------------------------------------------------------------- respondents


def progress(request: Request, who: Respondent) -> dict[str, tuple[int, int]]:
    done = {"importance": (int(who.importance is not None), 1)}
    for key, section in request.app.state.parts.items():
        done[key] = (sum(k in who.answers for k in section.keys), len(section.keys))
    return done


def base_of(request: Request, who: Respondent) -> str:
    return f"/a/{who.org_id}/{request.path_params['token']}"


async def overview(request: Request) -> Response:
    who = request.state.respondent
    return page(request, "overview.html", who.lang, who=who, progress=progress(request, who),
                order=[*SECTIONS, "submit"], base=base_of(request, who))


def loaded_values(who: Respondent, part: str, parts: dict) -> str:
    """What a part's page shows, sent back with its form: ``key=value;...`` (blank:
    unanswered), so that a save changes only what was changed on that page."""
    if part == "importance":
        return f"importance={who.importance or ''}"
    return ";".join(f"{k}={_shown_number(who.answers.get(k))}" for k in parts[part].keys)


def _shown_number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def parse_loaded(text: str | None, allowed: list[str]) -> dict[str, float | str | None] | None:
    """The ``loaded`` field back as answers (None when the form did not send it)."""
    if text is None:
        return None
    found: dict[str, float | str | None] = {}
    for item in text.split(";"):
        key, sep, value = item.partition("=")
        if not sep or key not in allowed:
            continue
        if key == "importance":
            found[key] = value or None
            continue
        try:
            found[key] = float(value) if value else None
        except ValueError:
            continue
    return found


def part_page(request: Request, who: Respondent, part: str, status: int = 200,
              posted=None, saved: bool = False, conflicts: dict | None = None) -> HTMLResponse:
    state = request.app.state
    order = list(SECTIONS)
    index = order.index(part)
    comment = who.comments.get(part, "")
    return page(request, "part.html", who.lang, status, who=who, part=part,
                section=state.parts.get(part), number=index + 1, total=len(order),
                posted=posted, saved=saved, base=base_of(request, who),
                importance_levels=state.config.bundle.framework.importance_levels,
                loaded=loaded_values(who, part, state.parts),
                # A comment too long to save is shown back as typed, to be shortened.
                comment=posted.comment_given if posted and "comment" in posted.errors
                else comment, comment_loaded=comment_tag(comment), max_comment=MAX_COMMENT,
                conflicts=conflict_lines(request, who.lang, conflicts or {}))


def conflict_lines(request: Request, lang: str,
                   conflicts: dict[str, float | str | None]) -> list[tuple[str, str]]:
    """Each answer kept because it was saved elsewhere: its anchor and what to say."""
    fw = request.app.state.config.bundle.framework
    t = UiText(lang)
    lines = []
    for key, value in conflicts.items():
        if key == "importance":
            label = next((lv.label(lang) for lv in fw.importance_levels if lv.key == value), "")
            lines.append(("q-importance", t("conflict_item", question=t("lead_importance"),
                                            value=label)))
        elif key.startswith("comment."):
            lines.append(("comment", t("conflict_comment")))
        else:
            question = request.app.state.questions[key]
            number = value if isinstance(value, (int, float)) else None
            lines.append((question.html_id, t("conflict_item", question=question.legend(lang),
                                              value=_shown_number(number))))
    return lines


async def show_part(request: Request) -> Response:
    part = request.path_params["part"]
    who = request.state.respondent
    if part not in (*SECTIONS, "submit"):
        return not_found(request)
    if part == "submit":
        return page(request, "submit.html", who.lang, who=who,
                    missing=who.missing(request.app.state.keys),
                    base=base_of(request, who), parts=request.app.state.parts)
    return part_page(request, who, part, saved=request.query_params.get("saved") == "1")


async def save_part(request: Request) -> Response:
    state = request.app.state
    part = request.path_params["part"]
    who = request.state.respondent
    if part not in (*SECTIONS, "submit"):
        return not_found(request)
    data = request.state.form
    org, token = who.org_id, request.path_params["token"]
    if part == "submit":
        return await submit(request, who)
    allowed = ["importance"] if part == "importance" else state.parts[part].keys
    posted = check_posted(data, allowed, list(IMPORTANCE_LEVELS), part == "importance")
    loaded = parse_loaded(data.get("loaded"), allowed)
    values, importance = posted.values, posted.importance
    if loaded is not None:         # only what was changed on this page
        values = {k: v for k, v in values.items() if k not in loaded or loaded[k] != v}
        if importance is not None and loaded.get("importance", "") == importance:
            importance = None
    comments = {}
    if posted.comment is not None:
        shown = data.get("comment_loaded")
        if shown is None:          # a form that does not say what it showed: write it
            comments[part] = posted.comment
        elif comment_tag(posted.comment) != shown:       # changed on this page
            comments[part] = posted.comment
            loaded = {**(loaded or {}), f"comment.{part}": shown}
    try:
        saved = await write(request, state.store.save, org, token, values, importance, loaded,
                            comments)
    except AnswersLocked:
        return not_found(request, who.lang)
    who, conflicts = saved.respondent, saved.conflicts
    bad = bool(posted.errors or posted.unknown)
    if request.headers.get(AUTOSAVE_HEADER) == "1":
        return JSONResponse({"ok": not (bad or conflicts), "errors": sorted(posted.errors),
                             "conflicts": {k: v if k == "importance" or k.startswith("comment.")
                                           else _shown_number(v)
                                           for k, v in conflicts.items()},
                             "comment_tag": comment_tag(who.comments.get(part))},
                            status_code=422 if bad else 409 if conflicts else 200)
    if bad or conflicts:
        return part_page(request, who, part, 400 if bad else 409, posted=posted,
                         conflicts=conflicts)
    if data.get("action") == "next":
        order = [*SECTIONS, "submit"]
        return RedirectResponse(f"{base_of(request, who)}/{order[order.index(part) + 1]}",
                                status_code=303)
    return RedirectResponse(f"{base_of(request, who)}/{part}?saved=1", status_code=303)


async def submit(request: Request, who: Respondent) -> Response:
    state = request.app.state
    try:
        missing = await write(request, state.store.submit, who.org_id,
                              request.path_params["token"], state.keys)
    except AnswersLocked:
        return not_found(request, who.lang)
    if missing:
        return page(request, "submit.html", who.lang, 400, who=who, missing=missing,
                    base=base_of(request, who), parts=state.parts, tried=True)
    return RedirectResponse(f"/done?lang={who.lang}", status_code=303)


async def privacy(request: Request) -> Response:
    lang = request.path_params["lang"]
    found = request.app.state.config.engagement.privacy_in(lang)
    if lang not in LANGS or found is None:
        return not_found(request, lang if lang in LANGS else "sv")
    notice, notice_lang = found
    return page(request, "privacy.html", lang, notice=notice, notice_lang=notice_lang)


async def logo(request: Request) -> Response:
    """The firm's logo, as checked when the server started (an SVG rebuilt from an allowlist)."""
    found = request.app.state.config.engagement.logo
    if found is None:
        return not_found(request)
    data, media = found
    return Response(data, media_type=media, headers={"cache-control": "public, max-age=3600"})


async def theme_css(request: Request) -> Response:
    """The firm's colours as the form's stylesheet variables (each checked for 4.5:1 on white
    when briefgen.toml was read, so text, links and buttons keep their contrast)."""
    e = request.app.state.config.engagement
    rules = []
    if e.primary:
        rules += [f"--navy: {e.primary};", f"--link: {e.primary};"]
    if e.accent:
        rules.append(f"--accent: {e.accent};")
    return Response(":root { " + " ".join(rules) + " }\n", media_type="text/css",
                    headers={"cache-control": "public, max-age=3600"})


async def done(request: Request) -> Response:
    lang = request.query_params.get("lang", "sv")
    return message(request, lang if lang in LANGS else "sv", 200, "thanks_title",
                   "thanks_lead")


# --------------------------------------------------------------------------- admin


def admin_page(request: Request, template: str, status: int = 200,
               **context: object) -> HTMLResponse:
    return page(request, template, request.app.state.config.admin_lang, status, **context)


async def login_page(request: Request) -> Response:
    return admin_page(request, "admin_login.html",
                      no_secret=request.app.state.config.admin_secret is None)


async def login(request: Request) -> Response:
    state = request.app.state
    result = await write(request, state.auth.sign_in, request,
                         request.state.form.get("secret", ""))
    response: Response
    if result.locked_for:
        minutes = -(-result.locked_for // 60)
        response = admin_page(request, "admin_login.html", 429, locked=minutes,
                              no_secret=state.config.admin_secret is None)
        response.headers["retry-after"] = str(result.locked_for)
        return response
    if result.session is None:
        return admin_page(request, "admin_login.html", 401, wrong=True,
                          no_secret=state.config.admin_secret is None)
    response = RedirectResponse("/admin", status_code=303)
    state.auth.set_cookie(response, request, result.session)
    return response


async def logout(request: Request) -> Response:
    response = RedirectResponse("/admin/login", status_code=303)
    await write(request, request.app.state.auth.sign_out, request, response)
    return response


async def admin_home(request: Request) -> Response:
    return await admin_overview(request, message=request.query_params.get("msg"))


async def admin_overview(request: Request, status: int = 200, **context: object) -> Response:
    """The admin page: each organisation's rounds, who has answered, the comments, and the
    forms to invite (by link or by e-mail); ``context`` adds errors or what was typed."""
    state = request.app.state

    def gather():
        found = state.store.rounds()
        open_ids = [r.id for r in found if r.is_open]
        return (found, state.store.follow_up(open_ids),
                state.store.comments([r.id for r in found]))

    found, people, comments = await run_in_threadpool(gather)
    orgs: dict[str, list] = {}
    for r in found:                        # by organisation, newest round first
        orgs.setdefault(r.org_id, []).append(r)
    return admin_page(request, "admin.html", status, orgs=list(orgs.values()), people=people,
                      comments=comments, langs=LANGS, exports=export_rows(found),
                      mail=state.config.smtp is not None,
                      sender=state.config.smtp.sender if state.config.smtp else "",
                      min_group=state.config.bundle.rules.surveys.min_group_size,
                      max_respondents=MAX_RESPONDENTS, **context)


async def admin_org(request: Request, org_id: str, t: UiText) -> tuple[Org | None, str | None]:
    """The organisation's profile for an invitation, or what is wrong, in the admin's words."""
    import difflib

    from ..load import list_orgs

    if not SLUG_RE.match(org_id):
        return None, t("admin_error_org_format", org=org_id[:40])
    bundle = request.app.state.config.bundle
    try:
        return await run_in_threadpool(load_org, org_id, bundle), None
    except BriefgenError as exc:
        known = sorted({p.stem for p in await run_in_threadpool(list_orgs, bundle)})
        if org_id in known:
            return None, t.with_english("admin_error_org_profile", "detail",
                                        str(exc).splitlines()[0], org=org_id)
        close = difflib.get_close_matches(org_id, known, n=1)
        return None, t("admin_error_org_unknown", org=org_id, known=", ".join(known) or "–",
                       suggestion=t("admin_error_org_suggestion", org=close[0]) if close else "")


def role_error(role: str, t: UiText) -> str | None:
    from ..survey.read import role_problem

    return t("admin_error_role", max=MAX_ROLE) if role_problem(role) else None


async def invite(request: Request) -> Response:
    state = request.app.state
    data = request.state.form
    org_id = data.get("org", "").strip()
    lang = data.get("lang", "sv")
    role = " ".join(data.get("role", "").split())
    errors = {}
    try:
        count = int(data.get("count", ""))
    except ValueError:
        count = 0
    t = UiText(state.config.admin_lang)
    if state.config.base_url is None:
        errors["base"] = t("admin_no_base_url")
    if not 1 <= count <= MAX_RESPONDENTS:
        errors["count"] = t("admin_error_count", max=MAX_RESPONDENTS)
    if lang not in LANGS:
        errors["lang"] = t("admin_error_lang")
    if said := role_error(role, t):
        errors["role"] = said
    org, said = await admin_org(request, org_id, t)
    if said:
        errors["org"] = said
    if errors:
        return await admin_overview(request, 400, errors=errors, given=data)
    assert org is not None
    made = await write(request, state.store.invite, org.id, org.name, org.profile.level,
                       count, lang, role or None)
    return admin_page(request, "admin_links.html",
                      links=[state.config.base_url + m.path() for m in made], org=org)


def people_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """The e-mail list typed on the admin page: one person a line, address, name and role
    separated by a semicolon, a tab or a comma."""
    import csv

    found = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        sep = ";" if ";" in line else "\t" if "\t" in line else ","
        cells = next(csv.reader([line], delimiter=sep, skipinitialspace=True))
        found.append((n, dict(zip(("email", "name", "role"), cells, strict=False))))
    return found


def people_error(problem, t: UiText) -> str:
    """A problem of a list typed on the admin page, in the admin's language. Its lines have no
    language column (the form's one language is checked on its own), so no ``lang`` problem."""
    said = {"address": lambda: t("admin_error_address", address=problem.value[:80]),
            "twice": lambda: t("admin_error_address_twice", address=problem.value,
                               other=problem.detail),
            "name": lambda: t("admin_error_name"),
            "role": lambda: t("admin_error_role", max=MAX_ROLE)}[problem.code]()
    return t("admin_error_people", line=problem.row, problem=said)


async def mail_invite(request: Request) -> Response:
    """Invite the people typed on the admin page by e-mail, each once per round."""
    from .mail import MAX_PEOPLE, Context, MailError, check_people, invite_by_mail

    state = request.app.state
    data = request.state.form
    t = UiText(state.config.admin_lang)
    org_id = data.get("org", "").strip()
    lang = data.get("lang", "sv")
    role = " ".join(data.get("role", "").split())
    errors: dict[str, object] = {}
    if state.config.smtp is None:
        errors["mail"] = t("admin_mail_off")
    if state.config.base_url is None:
        errors["base"] = t("admin_no_base_url")
    if lang not in LANGS:
        errors["lang"] = t("admin_error_lang")
    if said := role_error(role, t):
        errors["role"] = said
    rows = people_rows(data.get("people", ""))
    people, problems = check_people(rows[:MAX_PEOPLE], lang if lang in LANGS else "sv",
                                    role or None)
    if not rows:
        errors["people"] = [t("admin_error_people_empty")]
    elif len(rows) > MAX_PEOPLE:
        errors["people"] = [t("admin_error_people_many", count=t.number(len(rows)),
                              max=t.number(MAX_PEOPLE))]
    elif problems:
        errors["people"] = [people_error(p, t) for p in problems]
    org, said = await admin_org(request, org_id, t)
    if said:
        errors["org"] = said
    if errors:
        return await admin_overview(request, 400, mail_errors=errors, mail_given=data)
    assert org is not None and state.config.smtp is not None and state.config.base_url
    context = Context(org.id, org.name, state.config.base_url, state.config.engagement)
    try:
        report = await run_in_threadpool(invite_by_mail, state.store, state.config.smtp,
                                         org.id, org.name, org.profile.level, people, context)
    except MailError as exc:
        return await admin_overview(request, 502, mail_errors={
            "mail": t.with_english("admin_mail_unreachable", "error", str(exc))}, mail_given=data)
    return admin_page(request, "admin_report.html", report=report, org_name=org.name,
                      hours=int(REMIND_GAP.total_seconds() // 3600))


async def remind(request: Request) -> Response:
    """Remind everyone of an open round who has not answered (by e-mail, once a day at most)."""
    from .mail import Context, MailError, remind_by_mail

    state = request.app.state
    t = UiText(state.config.admin_lang)
    round_id = int(request.path_params["round"])
    found = next((r for r in await run_in_threadpool(state.store.rounds) if r.id == round_id),
                 None)
    if found is None:
        return not_found(request, state.config.admin_lang)
    if not found.is_open or state.config.smtp is None or state.config.base_url is None:
        return await admin_overview(request, 400, errors={
            "remind": t("admin_remind_none") if state.config.smtp is None
            else t("admin_no_base_url") if state.config.base_url is None
            else t("admin_report_skipped_closed", count=found.total)})
    context = Context(found.org_id, found.org_name, state.config.base_url,
                      state.config.engagement)
    try:
        report = await run_in_threadpool(remind_by_mail, state.store, state.config.smtp,
                                         found.org_id, found.org_name, context)
    except MailError as exc:
        return await admin_overview(request, 502, errors={
            "remind": t.with_english("admin_mail_unreachable", "error", str(exc))})
    return admin_page(request, "admin_report.html", report=report, org_name=found.org_name,
                      hours=int(REMIND_GAP.total_seconds() // 3600))


async def close_round(request: Request) -> Response:
    await write(request, request.app.state.store.close_round,
                int(request.path_params["round"]))
    return RedirectResponse("/admin?msg=closed", status_code=303)


async def export(request: Request) -> Response:
    state = request.app.state
    org_id, suffix = request.path_params["org"], "." + request.path_params["fmt"]
    if suffix not in (".csv", ".xlsx"):
        return not_found(request, state.config.admin_lang)
    people = await run_in_threadpool(state.store.submitted, org_id)
    if not people:
        return not_found(request, state.config.admin_lang)
    body = survey_bytes(people, state.config.bundle.framework, suffix)
    media = ("text/csv; charset=utf-8" if suffix == ".csv" else
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return Response(body, media_type=media, headers={
        "content-disposition": f'attachment; filename="{org_id}-svar{suffix}"'})


async def briefing(request: Request) -> Response:
    state = request.app.state
    org_id, lang = request.path_params["org"], request.path_params["lang"]
    if lang not in LANGS:
        return not_found(request, state.config.admin_lang)

    def build() -> bytes | None:
        people = state.store.submitted(org_id)
        if not people:
            return None
        with state.render_lock:            # one WeasyPrint render at a time
            return briefing_pdf(people, org_id, lang, state.config)

    try:
        pdf = await run_in_threadpool(build)
    except BriefgenError as exc:
        return admin_page(request, "message.html", 422, title_key="bad_request_title",
                          detail=str(exc))
    if pdf is None:
        return not_found(request, state.config.admin_lang)
    how = "inline" if request.query_params.get("preview") == "1" else "attachment"
    return Response(pdf, media_type="application/pdf", headers={
        "content-disposition": f'{how}; filename="{pdf_name(org_id, lang)}"'})


def export_rows(found: list) -> set[int]:
    """The rows that offer export and briefing: each organisation's latest round, if any of
    its rounds has submitted answers (the export holds every round)."""
    answered = {r.org_id for r in found if r.counts["submitted"]}
    latest: dict[str, int] = {}
    for r in found:                        # newest round first within each organisation
        latest.setdefault(r.org_id, r.id)
    return {rid for org, rid in latest.items() if org in answered}


def briefing_pdf(people: list[dict], org_id: str, lang: str, config: Config) -> bytes:
    """The briefing of the stored answers, made by ``make --survey``'s own pipeline."""
    from ..pipeline import Briefgen, workspace_options
    from .questions import write_survey

    with tempfile.TemporaryDirectory(prefix="briefgen-serve-") as tmp:
        path = Path(tmp) / "svar.csv"
        write_survey(path, people, config.bundle.framework)
        # As `make --survey` would: the workspace's firm, colours and defaults apply too.
        bg = Briefgen(workspace_options(data=config.data, lang=lang, survey=path))
        data, _ = bg.pdf(org_id)
    return data


# --------------------------------------------------------------------------- errors


def page_lang(request: Request) -> str:
    """The language of the page a refusal replaces: the link's, or the admin pages'."""
    if request.url.path.startswith("/a/"):
        who = getattr(request.state, "respondent", None)
        return who.lang if who else "sv"
    return request.app.state.config.admin_lang


async def login_required(request: Request, exc: Exception) -> Response:
    if request.method in ("GET", "HEAD"):
        return RedirectResponse("/admin/login", status_code=303)
    return message(request, request.app.state.config.admin_lang, 403, "expired_title",
                   "expired_lead")


async def csrf_refused(request: Request, exc: Exception) -> Response:
    if request.headers.get(AUTOSAVE_HEADER) == "1":
        return JSONResponse({"ok": False, "error": "csrf"}, status_code=403)
    return message(request, page_lang(request), 403, "expired_title", "expired_lead")


async def http_error(request: Request, exc: Exception) -> Response:
    code = getattr(exc, "status_code", 500)
    if code in (404, 405):
        return not_found(request)
    return message(request, "sv", code, "bad_request_title")


async def server_error(request: Request, exc: Exception) -> Response:
    return message(request, "sv", 500, "server_error_title", "server_error_lead")


# --------------------------------------------------------------------------- routes

# Every route, and who may use it (security.guard checks it before the handler runs).
TOKEN = "/a/{org:str}/{token:str}"
ROUTES: list[tuple[str, object, list[str], str]] = [
    (TOKEN, overview, ["GET"], RESPONDENT),
    (TOKEN + "/{part:str}", show_part, ["GET"], RESPONDENT),
    (TOKEN + "/{part:str}", save_part, ["POST"], RESPONDENT),
    ("/done", done, ["GET"], PUBLIC),
    ("/privacy/{lang:str}", privacy, ["GET"], PUBLIC),
    ("/brand/logo", logo, ["GET"], PUBLIC),
    ("/brand/theme.css", theme_css, ["GET"], PUBLIC),
    ("/admin/login", login_page, ["GET"], LOGIN),
    ("/admin/login", login, ["POST"], LOGIN),
    ("/admin", admin_home, ["GET"], ADMIN),
    ("/admin/logout", logout, ["POST"], ADMIN),
    ("/admin/invite", invite, ["POST"], ADMIN),
    ("/admin/mail-invite", mail_invite, ["POST"], ADMIN),
    ("/admin/rounds/{round:int}/remind", remind, ["POST"], ADMIN),
    ("/admin/rounds/{round:int}/close", close_round, ["POST"], ADMIN),
    ("/admin/orgs/{org:str}/export.{fmt:str}", export, ["GET"], ADMIN),
    ("/admin/orgs/{org:str}/briefing-{lang:str}.pdf", briefing, ["GET"], ADMIN),
]


def routes(table=ROUTES) -> list:
    """The application's routes, each handler behind :func:`~briefgen.serve.security.guard`."""
    made: list = [Route(path, guard(endpoint, access), methods=methods)
                  for path, endpoint, methods, access in table]
    made.append(Mount("/static", StaticFiles(directory=HERE / "static"), name="static"))
    return made


def create_app(config: Config, table=ROUTES) -> Starlette:
    """The ASGI application serving one database."""
    fw = config.bundle.framework
    key = config.store.server_key()
    app = App(routes=routes(table), exception_handlers={
        LoginRequired: login_required, CsrfRefused: csrf_refused,
        HTTPException: http_error, Exception: server_error})
    env = Environment(loader=FileSystemLoader(HERE / "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True,
                      auto_reload=False)       # the shipped templates do not change
    env.filters["visible"] = visible
    env.filters["visible_text"] = visible_text
    state = app.state
    state.config = config
    state.store = config.store
    state.templates = env
    state.parts = {s.key: s for s in sections(fw)}
    state.questions = {q.key: q for s in state.parts.values() for g in s.groups
                       for q in g.questions}
    state.keys = all_keys(fw)
    state.csrf = Csrf(key)
    state.auth = AdminAuth(config.store, config.admin_secret, key)
    state.render_lock = threading.Lock()
    state.write_gate = asyncio.Lock() if config.store.is_sqlite else None
    return app


def app_from_settings(database: str, data: Path | None = None, admin_lang: str = "sv",
                      base_url: str | None = None) -> Starlette:
    """Build the app from a database URL; the admin secret, the engagement (the firm, the
    deadline, the privacy notice) and the mail server are looked up in the usual places."""
    from .mail import smtp_settings
    from .settings import admin_secret, engagement
    from .store import open_store

    found = engagement()
    return create_app(Config(store=open_store(database), bundle=load_data(data),
                             admin_secret=admin_secret(), admin_lang=admin_lang,
                             base_url=base_url, data=data, engagement=found,
                             smtp=smtp_settings(firm=found.firm)))
