"""A real browser (Debian's chromium through chromedriver) against a real ``briefgen serve``.

Two respondents fill in the form by keyboard alone, one with the pages' JavaScript off; the
other closes the browser halfway (one answer stored only by the autosave script) and resumes
through the link; both submit. ``briefgen export`` then gives their answers, and the briefing
made from the export shows two respondents and their spread. axe-core (from npm), injected into
the pages, reports no WCAG 2.1 A/AA violation on any form page.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefgen.cli import cli

from .conftest import pdf_text

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``briefgen serve`` as its own process on a free loopback port."""
    folder = tmp_path_factory.mktemp("serve")
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


def new_browser(javascript: bool = True):
    """Headless chromium; ``javascript=False`` turns the pages' own scripts off (WebDriver's
    injected scripts, such as axe, still run)."""
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("needs Debian's chromium and chromium-driver (apt-get install chromium "
                    "chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1000,900", "--lang=sv"):
        options.add_argument(arg)
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
    r = runner.invoke(cli, ["export", "--out", str(out), "--database", server["database"]])
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
