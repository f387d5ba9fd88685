"""The web application: the respondents' form and the consultant's admin pages (Starlette).

Every page is plain HTML that works without JavaScript; a small same-origin script
(``static/autosave.js``) saves a section when an answer changes, if scripts run. A link that is
wrong, belongs to another organisation, is used up or whose round is closed gets the same 404
page as a path that does not exist.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import parse_qsl

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import BriefgenError
from ..load import DataBundle, load_data, load_org
from ..models import IMPORTANCE_LEVELS, SLUG_RE
from ..options import LANGS
from ..output import pdf_name
from ..texts import _strings, fill
from .questions import SECTIONS, Posted, all_keys, check_posted, sections, survey_bytes
from .security import AdminSession, Csrf, SecurityHeaders
from .settings import MAX_RESPONDENTS
from .store import AnswersLocked, Respondent, Store, token_hash

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
MAX_FORM_FIELDS = 100
MAX_FORM_BYTES = 64 * 1024


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


@dataclass
class Config:
    store: Store
    bundle: DataBundle
    admin_secret: str | None = None
    admin_lang: str = "sv"
    base_url: str | None = None       # for links made on the admin page; else the request's
    data: Path | None = None          # --data, handed on to the briefing pipeline


def create_app(config: Config) -> Starlette:
    """The ASGI application serving one database."""
    env = Environment(loader=FileSystemLoader(HERE / "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    fw = config.bundle.framework
    parts = {s.key: s for s in sections(fw)}
    keys = all_keys(fw)
    csrf = Csrf(config.store.server_key())
    admin = AdminSession(config.admin_secret)
    render_lock = threading.Lock()
    # SQLite has one writer at a time. Queue writers here, on the event loop, rather than in
    # worker threads blocked on the database lock, so reads keep their threads meanwhile.
    write_gate = asyncio.Lock() if config.store.is_sqlite else None

    async def write(fn, *args):
        if write_gate is None:
            return await run_in_threadpool(fn, *args)
        async with write_gate:
            return await run_in_threadpool(fn, *args)

    def page(request: Request, template: str, lang: str, status: int = 200,
             link: str | None = None, admin: bool = False, **context: object) -> HTMLResponse:
        """Render a page. Its forms' CSRF token is bound to the respondent's ``link``, or on
        admin pages to the nonce in a cookie; other pages have no form and set no cookie."""
        nonce, new = csrf.nonce(request) if admin else (None, False)
        token = (csrf.link_token(token_hash(link)) if link else
                 csrf.token(nonce) if admin else "")
        html = env.get_template(template).render(
            t=UiText(lang), lang=lang, csrf=token, fw=fw, **context)
        response = HTMLResponse(html, status_code=status)
        if new:
            csrf.set_cookie(response, request, nonce)
        return response

    def not_found(request: Request, lang: str = "sv") -> HTMLResponse:
        return page(request, "message.html", lang, 404, title_key="not_found_title",
                    lead_key="not_found_lead")

    async def form(request: Request) -> dict[str, str]:
        """The posted form (urlencoded, at most MAX_FORM_BYTES), its last value per name."""
        kind = request.headers.get("content-type", "")
        if kind and not kind.startswith("application/x-www-form-urlencoded"):
            raise HTTPException(415)
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                raise HTTPException(413)
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                              max_num_fields=MAX_FORM_FIELDS)
        except (UnicodeDecodeError, ValueError):
            raise HTTPException(400) from None
        return dict(pairs)

    # ------------------------------------------------------------------ respondents

    def progress(who: Respondent) -> dict[str, tuple[int, int]]:
        done = {"importance": (int(who.importance is not None), 1)}
        for key, section in parts.items():
            done[key] = (sum(k in who.answers for k in section.keys), len(section.keys))
        return done

    async def respondent(request: Request) -> Respondent | None:
        org, token = request.path_params["org"], request.path_params["token"]
        return await run_in_threadpool(config.store.respondent, org, token)

    async def overview(request: Request) -> Response:
        who = await respondent(request)
        if who is None:
            return not_found(request)
        return page(request, "overview.html", who.lang, link=token_of(request), who=who,
                    progress=progress(who), order=[*SECTIONS, "submit"],
                    base=_base(who, request))

    def part_page(request: Request, who: Respondent, part: str, status: int = 200,
                  posted: Posted | None = None, saved: bool = False) -> HTMLResponse:
        order = list(SECTIONS)
        index = order.index(part)
        return page(request, "part.html", who.lang, status, link=token_of(request), who=who,
                    part=part, section=parts.get(part), number=index + 1, total=len(order),
                    next_part=order[index + 1] if index + 1 < len(order) else "submit",
                    posted=posted, saved=saved, base=_base(who, request),
                    importance_levels=fw.importance_levels)

    async def show_part(request: Request) -> Response:
        part = request.path_params["part"]
        who = await respondent(request)
        if who is None or part not in (*SECTIONS, "submit"):
            return not_found(request)
        if part == "submit":
            missing = who.missing(keys)
            return page(request, "submit.html", who.lang, link=token_of(request), who=who,
                        missing=missing, base=_base(who, request), parts=parts)
        return part_page(request, who, part, saved=request.query_params.get("saved") == "1")

    async def save_part(request: Request) -> Response:
        part = request.path_params["part"]
        who = await respondent(request)
        if who is None or part not in (*SECTIONS, "submit"):
            return not_found(request)
        data = await form(request)
        autosave = request.headers.get("x-briefgen-autosave") == "1"
        if not csrf.check_link(request, token_hash(token_of(request)), data.get("csrf")):
            if autosave:
                return JSONResponse({"ok": False, "error": "csrf"}, status_code=403)
            return page(request, "message.html", who.lang, 403, title_key="expired_title",
                        lead_key="expired_lead")
        org, token = who.org_id, request.path_params["token"]
        if part == "submit":
            try:
                missing = await write(config.store.submit, org, token, keys)
            except AnswersLocked:
                return not_found(request, who.lang)
            if missing:
                who = await respondent(request) or who
                return page(request, "submit.html", who.lang, 400, link=token_of(request),
                            who=who, missing=missing,
                            base=_base(who, request), parts=parts, tried=True)
            return RedirectResponse(f"/done?lang={who.lang}", status_code=303)
        allowed = [] if part == "importance" else parts[part].keys
        posted = check_posted(data, allowed, list(IMPORTANCE_LEVELS), part == "importance")
        try:
            who = await write(config.store.save, org, token, posted.values,
                                          posted.importance)
        except AnswersLocked:
            return not_found(request, who.lang)
        if autosave:
            return JSONResponse({"ok": not (posted.errors or posted.unknown),
                                 "errors": sorted(posted.errors)},
                                status_code=422 if posted.errors or posted.unknown else 200)
        if posted.errors or posted.unknown:
            return part_page(request, who, part, 400, posted=posted)
        if data.get("action") == "next":
            order = [*SECTIONS, "submit"]
            target = order[order.index(part) + 1]
            return RedirectResponse(f"{_base(who, request)}/{target}", status_code=303)
        return RedirectResponse(f"{_base(who, request)}/{part}?saved=1", status_code=303)

    async def done(request: Request) -> Response:
        lang = request.query_params.get("lang", "sv")
        return page(request, "message.html", lang if lang in LANGS else "sv",
                    title_key="thanks_title", lead_key="thanks_lead")

    # ------------------------------------------------------------------ admin

    def admin_page(request: Request, template: str, status: int = 200,
                   **context: object) -> HTMLResponse:
        return page(request, template, config.admin_lang, status, admin=True, **context)

    async def admin_home(request: Request) -> Response:
        if not admin.is_admin(request):
            return RedirectResponse("/admin/login", status_code=303)
        found = await run_in_threadpool(config.store.rounds)
        return admin_page(request, "admin.html", rounds=found, langs=LANGS,
                          exports=_export_rows(found), message=request.query_params.get("msg"))

    async def admin_login(request: Request) -> Response:
        if request.method == "GET":
            return admin_page(request, "admin_login.html", no_secret=admin.secret is None)
        data = await form(request)
        if not csrf.check(request, data.get("csrf")):
            return admin_page(request, "message.html", 403, title_key="expired_title",
                              lead_key="expired_lead")
        if not admin.check_secret(data.get("secret", "")):
            await asyncio.sleep(0.5)          # slow down guessing
            return admin_page(request, "admin_login.html", 401, wrong=True,
                              no_secret=admin.secret is None)
        response = RedirectResponse("/admin", status_code=303)
        admin.login(response, request)
        return response

    async def admin_post(request: Request) -> tuple[dict[str, str] | None, Response | None]:
        """The posted form of an admin action, or the response refusing it."""
        if not admin.is_admin(request):
            return None, not_found(request, config.admin_lang)
        data = await form(request)
        if not csrf.check(request, data.get("csrf")):
            return None, admin_page(request, "message.html", 403, title_key="expired_title",
                                    lead_key="expired_lead")
        return data, None

    async def admin_logout(request: Request) -> Response:
        _, refused = await admin_post(request)
        if refused:
            return refused
        response = RedirectResponse("/admin/login", status_code=303)
        admin.logout(response)
        return response

    async def admin_invite(request: Request) -> Response:
        data, refused = await admin_post(request)
        if refused:
            return refused
        org_id = data.get("org", "").strip()
        lang = data.get("lang", "sv")
        errors = []
        try:
            count = int(data.get("count", ""))
        except ValueError:
            count = 0
        if not SLUG_RE.match(org_id):
            errors.append(("org", f"'{org_id[:40]}': lower-case letters, digits and '-'"))
        if not 1 <= count <= MAX_RESPONDENTS:
            errors.append(("count", f"1-{MAX_RESPONDENTS}"))
        if lang not in LANGS:
            errors.append(("lang", ", ".join(LANGS)))
        if not errors:
            try:
                org = await run_in_threadpool(load_org, org_id, config.bundle)
            except BriefgenError as exc:
                errors.append(("org", str(exc).splitlines()[0]))
        if errors:
            found = await run_in_threadpool(config.store.rounds)
            return admin_page(request, "admin.html", 400, rounds=found, langs=LANGS,
                              exports=_export_rows(found), errors=dict(errors), given=data)
        made = await write(config.store.invite, org.id, org.name,
                                       org.profile.level, count, lang)
        base = (config.base_url or str(request.base_url)).rstrip("/")
        return admin_page(request, "admin_links.html", links=[base + m.path() for m in made],
                          org=org)

    async def admin_close(request: Request) -> Response:
        _, refused = await admin_post(request)
        if refused:
            return refused
        await write(config.store.close_round, int(request.path_params["round"]))
        return RedirectResponse("/admin?msg=closed", status_code=303)

    async def admin_export(request: Request) -> Response:
        if not admin.is_admin(request):
            return not_found(request, config.admin_lang)
        org_id, suffix = request.path_params["org"], "." + request.path_params["fmt"]
        if suffix not in (".csv", ".xlsx"):
            return not_found(request, config.admin_lang)
        people = await run_in_threadpool(config.store.submitted, org_id)
        if not people:
            return not_found(request, config.admin_lang)
        body = survey_bytes(people, fw, suffix)
        media = ("text/csv; charset=utf-8" if suffix == ".csv" else
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        return Response(body, media_type=media, headers={
            "content-disposition": f'attachment; filename="{org_id}-svar{suffix}"'})

    async def admin_briefing(request: Request) -> Response:
        if not admin.is_admin(request):
            return not_found(request, config.admin_lang)
        org_id, lang = request.path_params["org"], request.path_params["lang"]
        if lang not in LANGS:
            return not_found(request, config.admin_lang)

        def build() -> bytes | None:
            people = config.store.submitted(org_id)
            if not people:
                return None
            with render_lock:             # one WeasyPrint render at a time
                return briefing_pdf(people, org_id, lang, config)

        try:
            pdf = await run_in_threadpool(build)
        except BriefgenError as exc:
            return admin_page(request, "message.html", 422, title_key="bad_request_title",
                              detail=str(exc))
        if pdf is None:
            return not_found(request, config.admin_lang)
        how = "inline" if request.query_params.get("preview") == "1" else "attachment"
        return Response(pdf, media_type="application/pdf", headers={
            "content-disposition": f'{how}; filename="{pdf_name(org_id, lang)}"'})

    # ------------------------------------------------------------------ errors

    async def http_error(request: Request, exc: Exception) -> Response:
        code = getattr(exc, "status_code", 500)
        if code == 404 or code == 405:
            return not_found(request)
        return page(request, "message.html", "sv", code, title_key="bad_request_title")

    token = "/a/{org:str}/{token:str}"
    routes = [
        Route(token, overview, methods=["GET"]),
        Route(token + "/{part:str}", show_part, methods=["GET"]),
        Route(token + "/{part:str}", save_part, methods=["POST"]),
        Route("/done", done, methods=["GET"]),
        Route("/admin", admin_home, methods=["GET"]),
        Route("/admin/login", admin_login, methods=["GET", "POST"]),
        Route("/admin/logout", admin_logout, methods=["POST"]),
        Route("/admin/invite", admin_invite, methods=["POST"]),
        Route("/admin/rounds/{round:int}/close", admin_close, methods=["POST"]),
        Route("/admin/orgs/{org:str}/export.{fmt:str}", admin_export, methods=["GET"]),
        Route("/admin/orgs/{org:str}/briefing-{lang:str}.pdf", admin_briefing,
              methods=["GET"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error})
    app.add_middleware(SecurityHeaders)
    app.state.config = config
    return app


def _export_rows(found: list) -> set[int]:
    """The rows that offer export and briefing: each organisation's latest round, if any of
    its rounds has submitted answers (the export holds every round)."""
    answered = {r.org_id for r in found if r.counts["submitted"]}
    latest: dict[str, int] = {}
    for r in found:                        # newest round first within each organisation
        latest.setdefault(r.org_id, r.id)
    return {rid for org, rid in latest.items() if org in answered}


def token_of(request: Request) -> str:
    return request.path_params["token"]


def _base(who: Respondent, request: Request) -> str:
    return f"/a/{who.org_id}/{request.path_params['token']}"


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


def app_from_settings(database: str, data: Path | None = None, admin_lang: str = "sv",
                      base_url: str | None = None) -> Starlette:
    """Build the app from a database URL, the admin secret looked up in the usual place."""
    from .settings import admin_secret
    from .store import open_store

    return create_app(Config(store=open_store(database), bundle=load_data(data),
                             admin_secret=admin_secret(), admin_lang=admin_lang,
                             base_url=base_url, data=data))
