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
import logging
import tempfile
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache
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
from ..models import IMPORTANCE_LEVELS, SLUG_RE
from ..options import LANGS
from ..output import pdf_name
from ..texts import _strings, fill
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
from .settings import MAX_RESPONDENTS
from .store import AnswersLocked, Respondent, Store, token_hash

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
AUTOSAVE_HEADER = "x-briefgen-autosave"


@cache
def ui_strings() -> dict[str, dict[str, str]]:
    """The serve pages' words, read and checked (sv and en for every key) as texts.yaml is."""
    return _strings(HERE / "texts.yaml")


class UiText:
    """The serve pages' words in one language: ``t('key', name=value)``."""

    def __init__(self, lang: str):
        self.lang = lang if lang in LANGS else "sv"

    def __call__(self, key: str, **values: object) -> str:
        return fill(ui_strings()[key][self.lang], values)


# Characters that change how the text around them is shown without showing themselves:
# controls, bidi marks and overrides, zero-width characters (Unicode's Cc and Cf), and the
# line and paragraph separators.
HIDDEN_CATEGORIES = ("Cc", "Cf", "Zl", "Zp")


def visible(text: object) -> str:
    """``text`` with every invisible or reordering character shown as its code (⟨U+202E⟩)."""
    return "".join(f"⟨U+{ord(c):04X}⟩" if unicodedata.category(c) in HIDDEN_CATEGORIES else c
                   for c in str(text))


@dataclass
class Config:
    store: Store
    bundle: DataBundle
    admin_secret: str | None = None
    admin_lang: str = "sv"
    base_url: str | None = None       # where links made on the admin page point; None: nowhere
    data: Path | None = None          # --data, handed on to the briefing pipeline


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
    html = state.templates.get_template(template).render(
        t=UiText(lang), lang=lang, csrf=token, fw=state.config.bundle.framework, **context)
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
    return page(request, "part.html", who.lang, status, who=who, part=part,
                section=state.parts.get(part), number=index + 1, total=len(order),
                next_part=order[index + 1] if index + 1 < len(order) else "submit",
                posted=posted, saved=saved, base=base_of(request, who),
                importance_levels=state.config.bundle.framework.importance_levels,
                loaded=loaded_values(who, part, state.parts),
                conflicts=conflict_lines(request, who.lang, conflicts or {}))


def conflict_lines(request: Request, lang: str,
                   conflicts: dict[str, float | str | None]) -> list[tuple[str, str, str]]:
    """Each answer kept because it was saved elsewhere: its anchor, question and value."""
    fw = request.app.state.config.bundle.framework
    lines = []
    for key, value in conflicts.items():
        if key == "importance":
            label = next((lv.label(lang) for lv in fw.importance_levels if lv.key == value), "")
            lines.append(("q-importance", UiText(lang)("lead_importance"), label))
        else:
            question = request.app.state.questions[key]
            number = value if isinstance(value, (int, float)) else None
            lines.append((question.html_id, question.legend(lang), _shown_number(number)))
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
    try:
        saved = await write(request, state.store.save, org, token, values, importance, loaded)
    except AnswersLocked:
        return not_found(request, who.lang)
    who, conflicts = saved.respondent, saved.conflicts
    bad = bool(posted.errors or posted.unknown)
    if request.headers.get(AUTOSAVE_HEADER) == "1":
        return JSONResponse({"ok": not (bad or conflicts), "errors": sorted(posted.errors),
                             "conflicts": {k: _shown_number(v) if k != "importance" else v
                                           for k, v in conflicts.items()}},
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
    found = await run_in_threadpool(request.app.state.store.rounds)
    return admin_page(request, "admin.html", rounds=found, langs=LANGS,
                      exports=export_rows(found), message=request.query_params.get("msg"))


async def invite(request: Request) -> Response:
    state = request.app.state
    data = request.state.form
    org_id = data.get("org", "").strip()
    lang = data.get("lang", "sv")
    errors = []
    try:
        count = int(data.get("count", ""))
    except ValueError:
        count = 0
    t = UiText(state.config.admin_lang)
    if state.config.base_url is None:
        errors.append(("base", t("admin_no_base_url")))
    if not SLUG_RE.match(org_id):
        errors.append(("org", f"'{org_id[:40]}': lower-case letters, digits and '-'"))
    if not 1 <= count <= MAX_RESPONDENTS:
        errors.append(("count", f"1-{MAX_RESPONDENTS}"))
    if lang not in LANGS:
        errors.append(("lang", ", ".join(LANGS)))
    if not errors:
        try:
            org = await run_in_threadpool(load_org, org_id, state.config.bundle)
        except BriefgenError as exc:
            errors.append(("org", str(exc).splitlines()[0]))
    if errors:
        found = await run_in_threadpool(state.store.rounds)
        return admin_page(request, "admin.html", 400, rounds=found, langs=LANGS,
                          exports=export_rows(found), errors=dict(errors), given=data)
    made = await write(request, state.store.invite, org.id, org.name, org.profile.level,
                       count, lang)
    return admin_page(request, "admin_links.html",
                      links=[state.config.base_url + m.path() for m in made], org=org)


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
    ("/admin/login", login_page, ["GET"], LOGIN),
    ("/admin/login", login, ["POST"], LOGIN),
    ("/admin", admin_home, ["GET"], ADMIN),
    ("/admin/logout", logout, ["POST"], ADMIN),
    ("/admin/invite", invite, ["POST"], ADMIN),
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
    """Build the app from a database URL, the admin secret looked up in the usual place."""
    from .settings import admin_secret
    from .store import open_store

    return create_app(Config(store=open_store(database), bundle=load_data(data),
                             admin_secret=admin_secret(), admin_lang=admin_lang,
                             base_url=base_url, data=data))
