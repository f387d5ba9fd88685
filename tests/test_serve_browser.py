"""A real browser (Debian's chromium through chromedriver) against a real ``briefgen serve``.

The server runs in a workspace with the firm's name, logo, colours, deadline, privacy notice
and mail server (aiosmtpd on loopback). Two respondents fill in the form by keyboard alone, one
with the pages' JavaScript off; the other closes the browser halfway (one answer stored only by
the autosave script) and resumes through the link; both submit. ``briefgen export`` then gives
their answers, and the briefing made from the export shows two respondents and their spread.
The consultant invites by e-mail, follows up and reminds on the admin page at a phone's width
(390 px) without scrolling sideways. axe-core (from npm), injected into the pages, reports no
WCAG 2.1 A/AA violation on any form page or admin page.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefgen.cli import cli

from .conftest import pdf_text
from .firm import FIRM_TOML
from .loopback import Inbox, free_port, smtp_server

pytestmark = pytest.mark.timeout(300)

AXE_VERSION = "4.14.1"
SECRET = "browser-test-admin-secret"

selenium = pytest.importorskip("selenium", reason="selenium is a test extra")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module")
def mail_server():
    pytest.importorskip("aiosmtpd.controller")
    inbox = Inbox()
    with smtp_server(inbox) as controller:
        yield inbox, controller.port


LOGO = ('<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40">'
        '<rect width="120" height="40" fill="#0B5D4B"/><text x="8" y="26" fill="#fff">'
        'Konsultfirman</text></svg>')


@pytest.fixture(scope="module")
def server(tmp_path_factory, mail_server):
    """``briefgen serve`` as its own process on a free loopback port, in a workspace with the
    firm's look, a deadline, a privacy notice and the loopback mail server."""
    folder = tmp_path_factory.mktemp("serve")
    (folder / "logo.svg").write_text(LOGO, "utf-8")
    (folder / "integritet.md").write_text("## Vem ansvarar\n\nKonsultfirman AB ansvarar för "
                                          "svaren och sparar dem i tolv månader.\n", "utf-8")
    (folder / "briefgen.toml").write_text(FIRM_TOML + f"""\

[serve]
deadline = 2099-12-15
privacy = "integritet.md"

[smtp]
host = "127.0.0.1"
port = {mail_server[1]}
sender = "enkat@konsultfirman.se"
security = "none"
""", "utf-8")
    port = free_port()
    database = f"sqlite:///{folder / 'briefgen.db'}"
    env = {**os.environ, "BRIEFGEN_ADMIN_SECRET": SECRET}
    log = (folder / "serve.log").open("wb")        # a file, never a pipe that can fill up
    proc = subprocess.Popen([sys.executable, "-m", "briefgen", "serve", "--port", str(port),
                             "--database", database], cwd=folder, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    while True:       # pytest-timeout ends a hang
        try:
            urllib.request.urlopen(base + "/admin/login", timeout=1)
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError((folder / "serve.log").read_text()) from None
            time.sleep(0.2)
    yield {"base": base, "database": database, "port": port, "folder": folder}
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


@pytest.fixture(scope="module")
def axe_js() -> str:
    """axe-core from npm, installed once into a cache folder."""
    given = os.environ.get("BRIEFGEN_AXE_JS")
    if given:
        return Path(given).read_text("utf-8")
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "briefgen-tests"
    target = cache / f"axe-core-{AXE_VERSION}"
    script = target / "node_modules" / "axe-core" / "axe.min.js"
    if not script.is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed: cannot fetch axe-core (apt-get install npm)")
        target.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([npm, "install", "--prefix", str(target), "--no-audit",
                               "--no-fund", "--silent", f"axe-core@{AXE_VERSION}"],
                              capture_output=True, text=True, timeout=240)
        if done.returncode != 0 or not script.is_file():
            pytest.skip(f"npm could not install axe-core: {done.stderr.strip()[:200]}")
    return script.read_text("utf-8")


def new_browser(javascript: bool = True, width: int = 1000):
    """Headless chromium; ``javascript=False`` turns the pages' own scripts off (WebDriver's
    injected scripts, such as axe, still run); ``width`` in CSS pixels (390: a phone)."""
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("needs Debian's chromium and chromium-driver (apt-get install chromium "
                    "chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={max(width, 500)},900", "--lang=sv"):
        options.add_argument(arg)
    if width < 500:         # below chromium's smallest window: a phone's screen, emulated
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": {
            "width": width, "height": 844, "pixelRatio": 3.0, "touch": True}})
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2})
    os.environ.setdefault("SE_OFFLINE", "true")     # never let Selenium fetch a driver
    return webdriver.Chrome(options=options,
                            service=webdriver.ChromeService(executable_path=CHROMEDRIVER))


def press(driver, *keys) -> None:
    ActionChains(driver).send_keys(*keys).perform()


def tab_to(driver, predicate, limit: int = 300):
    """Press Tab until the focused element matches: what a keyboard user does."""
    for _ in range(limit):
        press(driver, Keys.TAB)
        el = driver.switch_to.active_element
        if predicate(el):
            return el
    raise AssertionError("Tab never reached the element")


def follow_link(driver, href_end: str) -> None:
    tab_to(driver, lambda el: el.tag_name == "a" and
           (el.get_attribute("href") or "").endswith(href_end))
    press(driver, Keys.ENTER)
    WebDriverWait(driver, 20).until(lambda d: d.current_url.split("?")[0].endswith(href_end))


def choose(driver, name: str, position: int) -> None:
    """Tab into a radio group, pick the focused option with Space, arrow to ``position``.

    Tab lands on the checked option, or on the first when none is checked.
    """
    focused = tab_to(driver, lambda el: el.get_attribute("name") == name)
    press(driver, Keys.SPACE)
    group = driver.find_elements("css selector", f'input[type=radio][name="{name}"]')
    at = [el.get_attribute("id") for el in group].index(focused.get_attribute("id")) + 1
    key = Keys.ARROW_RIGHT if position > at else Keys.ARROW_LEFT
    for _ in range(abs(position - at)):
        press(driver, key)


def save_and_continue(driver, next_part: str) -> None:
    tab_to(driver, lambda el: el.tag_name == "button" and el.get_attribute("value") == "next")
    press(driver, Keys.ENTER)
    WebDriverWait(driver, 20).until(lambda d: d.current_url.endswith("/" + next_part))


def check_axe(driver, axe: str, where: str) -> None:
    driver.execute_script(axe)
    driver.set_script_timeout(60)
    violations = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a',"
        " 'wcag21aa', 'best-practice']}}).then(r => done(r.violations.map(v =>"
        " ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))));")
    assert violations == [], f"{where}: {json.dumps(violations, indent=1)}"


def sections():
    from briefgen.load import load_data
    from briefgen.serve.questions import sections as form_sections

    return form_sections(load_data().framework)


def fill_section(driver, section, values: dict[str, int], next_part: str) -> None:
    for key in section.keys:
        choose(driver, key, values[key])
    save_and_continue(driver, next_part)


def submit(driver) -> None:
    tab_to(driver, lambda el: el.tag_name == "button" and el.get_attribute("type") == "submit"
           and "lås" in el.text)
    press(driver, Keys.ENTER)
    WebDriverWait(driver, 20).until(lambda d: "/done" in d.current_url)


def test_two_respondents_by_keyboard_resume_submit_export_and_brief(server, axe_js, tmp_path):
    runner = CliRunner()
    r = runner.invoke(cli, ["invite", "--org", "region-x", "--respondents", "2",
                            "--port", str(server["port"]), "--database", server["database"]])
    assert r.exit_code == 0, r.output
    first_link, second_link = r.output.split()
    parts = sections()
    keys = [k for s in parts for k in s.keys]
    first = {k: 2 for k in keys}
    second = {k: 4 for k in keys}
    first["partnerships"], second["partnerships"] = 1, 5
    first["effects.cross_processes"], second["effects.cross_processes"] = 5, 2

    driver = new_browser(javascript=False)
    try:
        # Respondent 1, without JavaScript: the whole form in one go.
        driver.get(first_link)
        follow_link(driver, "/importance")
        choose(driver, "importance", 2)                       # top3
        save_and_continue(driver, "capabilities")
        for section, next_part in zip(parts, ["effects", "impact", "submit"], strict=True):
            fill_section(driver, section, first, next_part)
        submit(driver)
        driver.get(first_link)                                # the link is used up
        assert "Sidan finns inte" in driver.title
    finally:
        driver.quit()

    driver = new_browser()
    try:
        # Respondent 2, with JavaScript (axe runs on every page): importance, capabilities and
        # one answer that only the autosave script stores; then the browser is closed.
        driver.get(second_link)
        check_axe(driver, axe_js, "overview")
        follow_link(driver, "/importance")
        check_axe(driver, axe_js, "importance")
        choose(driver, "importance", 3)                       # important
        save_and_continue(driver, "capabilities")
        check_axe(driver, axe_js, "capabilities")
        fill_section(driver, parts[0], second, "effects")
        check_axe(driver, axe_js, "effects")
        first_effect = parts[1].keys[0]
        choose(driver, first_effect, second[first_effect])
        WebDriverWait(driver, 20).until(
            lambda d: d.find_element("id", "save-status").text == "Sparat automatiskt.")
    finally:
        driver.quit()

    driver = new_browser()
    try:
        driver.get(second_link)                               # resume through the link
        assert "11 av 11 besvarade" in driver.find_element("css selector", ".parts").text
        follow_link(driver, "/capabilities")
        checked = {el.get_attribute("name"): int(el.get_attribute("value")) for el in
                   driver.find_elements("css selector", "input[type=radio]:checked")}
        assert checked == {k: second[k] for k in parts[0].keys}
        # A value no radio can send (as a tampered post would) is reported beside its field.
        driver.execute_script("const r = document.getElementById('q-partnerships-5');"
                              "r.value = '9'; r.checked = true; r.form.submit();")
        WebDriverWait(driver, 20).until(
            lambda d: d.find_elements("id", "q-partnerships-error"))
        check_axe(driver, axe_js, "capabilities with an error")
        choose(driver, "partnerships", 5)
        save_and_continue(driver, "effects")
        # The autosaved answer came back.
        assert driver.find_element(
            "css selector", f'input[name="{first_effect}"]:checked'
        ).get_attribute("value") == str(second[first_effect])
        fill_section(driver, parts[1], second, "impact")
        check_axe(driver, axe_js, "impact")
        fill_section(driver, parts[2], second, "submit")
        check_axe(driver, axe_js, "submit")
        submit(driver)
        check_axe(driver, axe_js, "thanks")
        driver.get(second_link)
        assert "Sidan finns inte" in driver.title
        check_axe(driver, axe_js, "not found")

        # The admin pages pass axe too.
        driver.get(server["base"] + "/admin/login")
        check_axe(driver, axe_js, "admin login")
        tab_to(driver, lambda el: el.get_attribute("id") == "secret").send_keys(SECRET)
        press(driver, Keys.ENTER)
        WebDriverWait(driver, 20).until(lambda d: d.current_url.endswith("/admin"))
        assert "Region X" in driver.page_source
        check_axe(driver, axe_js, "admin")
    finally:
        driver.quit()

    out = tmp_path / "svar.csv"
    # This organisation only: the server is shared with the admin page's test (kommun-y),
    # which may run first.
    r = runner.invoke(cli, ["export", "--out", str(out), "--org", "region-x", "--database",
                            server["database"]])
    assert r.exit_code == 0, r.output
    with out.open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert [row["importance"] for row in rows] == ["top3", "important"]
    for row, typed in zip(rows, (first, second), strict=True):
        assert {k: int(row[k]) for k in keys} == typed
    r = runner.invoke(cli, ["make", "--org", "region-x", "--survey", str(out), "--out",
                            str(tmp_path)])
    assert r.exit_code == 0, r.output
    text = pdf_text(Path(r.output.strip()))
    assert "2 personers svar" in text
    assert "Ledningen delar inte en bild" in text


def no_sideways_scroll(driver, where: str, width: int = 390) -> None:
    """Nothing on the page is wider than the phone's screen: no horizontal scroll bar, and no
    zooming out (a phone widens its layout to fit a page wider than the screen)."""
    widths = driver.execute_script(
        "return [window.innerWidth, document.documentElement.scrollWidth,"
        " document.body.scrollWidth];")
    assert widths == [width, width, width] or max(widths) <= width and widths[0] == width, \
        f"{where}: {widths}"


def open_details(driver) -> None:
    driver.execute_script("document.querySelectorAll('details').forEach(d => d.open = true);")


def test_the_admin_page_at_a_phones_width_invites_follows_up_and_reminds(
        server, axe_js, mail_server, tmp_path, monkeypatch):
    import httpx

    inbox, _ = mail_server
    monkeypatch.chdir(server["folder"])                 # the workspace: [smtp], the firm
    people = tmp_path / "ledningen.csv"
    people.write_text("email,name,role\n"
                      "anna.berg@kommun-y.se,Anna Berg,Kommunledningen\n"
                      "bo.ek@kommun-y.se,Bo Ek,IT\n"
                      "cecilia.lind-johansson-westerberg@kommun-y.se,Cecilia Lind,IT\n",
                      "utf-8")
    r = CliRunner().invoke(cli, ["invite", "--org", "kommun-y", "--emails", str(people),
                                 "--base-url", server["base"], "--database",
                                 server["database"]])
    assert r.exit_code == 0, r.output
    mine = [r["message"] for r in inbox.received if "kommun-y" in r["message"].get_content()]
    assert len(mine) == 3
    link = next(line for m in mine if m["To"].addresses[0].username == "anna.berg"
                for line in m.get_content().splitlines() if "/a/kommun-y/" in line).strip()

    # Anna answers (plain HTTP: the browser part is the admin's), with a comment.
    from briefgen.load import load_data
    from briefgen.serve.questions import sections as form_sections

    with httpx.Client() as http:
        page = http.get(link + "/importance")
        token = page.text.split('name="csrf" value="')[1].split('"')[0]
        assert http.post(link + "/importance", data={"csrf": token, "importance": "top3",
                                                     "comment": "Vi behöver en gemensam "
                                                     "bild av vad digitalisering betyder "
                                                     "för oss, och ett språk för det.",
                                                     "comment_loaded": ""}).status_code == 303
        for section in form_sections(load_data().framework):
            data = {"csrf": token, **dict.fromkeys(section.keys, "3")}
            assert http.post(f"{link}/{section.key}", data=data).status_code == 303
        assert http.post(link + "/submit", data={"csrf": token}).status_code == 303

    driver = new_browser(width=390)
    try:
        # A form page at the same width: the comment field, deadline and privacy link fit.
        other = next(line for m in mine if m["To"].addresses[0].username == "bo.ek"
                     for line in m.get_content().splitlines() if "/a/kommun-y/" in line)
        driver.get(other.strip() + "/capabilities")
        assert "Svara senast 15 december 2099" in driver.page_source
        no_sideways_scroll(driver, "the capabilities part")
        check_axe(driver, axe_js, "capabilities with the firm's look")
        driver.get(server["base"] + "/privacy/sv")
        assert "tolv månader" in driver.page_source
        no_sideways_scroll(driver, "privacy")
        check_axe(driver, axe_js, "privacy")

        driver.get(server["base"] + "/admin/login")
        no_sideways_scroll(driver, "admin login")
        tab_to(driver, lambda el: el.get_attribute("id") == "secret").send_keys(SECRET)
        press(driver, Keys.ENTER)
        WebDriverWait(driver, 20).until(lambda d: d.current_url.endswith("/admin"))
        open_details(driver)
        source = driver.page_source
        assert "Svarande (3)" in source and "Kommentarer (1)" in source
        assert "cecilia.lind-johansson-westerberg@kommun-y.se" in source
        assert "Bjud in via e-post" in source
        no_sideways_scroll(driver, "admin")
        check_axe(driver, axe_js, "admin with respondents and comments")
        shots = os.environ.get("BRIEFGEN_SCREENSHOTS")
        if shots:          # to look at the page: BRIEFGEN_SCREENSHOTS=/tmp/shots pytest ...
            Path(shots).mkdir(parents=True, exist_ok=True)
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": 390, "height": height, "deviceScaleFactor": 1, "mobile": True})
            driver.save_screenshot(str(Path(shots) / "admin-390.png"))
            driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

        # Remind, by keyboard: only Bo and Cecilia have not answered, and they were written
        # to a moment ago, so nobody is reminded twice the same day.
        before = len(inbox.received)
        tab_to(driver, lambda el: el.tag_name == "button"
               and "kommun-y" not in (el.text or "") and "Påminn" in (el.text or "")
               and "Ytterby" in (el.get_attribute("innerHTML") or ""))
        press(driver, Keys.ENTER)
        WebDriverWait(driver, 20).until(lambda d: d.current_url.endswith("/remind"))
        assert "för mindre än 20 timmar sedan: 2" in driver.page_source
        assert len(inbox.received) == before
        no_sideways_scroll(driver, "the reminders' report")
        check_axe(driver, axe_js, "the reminders' report")
    finally:
        driver.quit()
