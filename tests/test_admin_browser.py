"""The admin console in a real browser: Debian's Chromium, driven through its chromedriver
by Selenium, against a real ``ticket-warden serve`` writing to the fake Zammad.

Nothing here downloads a browser: the paths are the distribution's (``.ci/run``
installs the packages). Off CI, the tests skip when Chromium is not installed; on
CI (``CI`` set) they fail instead, so a missing browser can never pass unseen.
Each page is saved as a screenshot under ``tests/screenshots/`` (git ignores it).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plugin.store import SqliteStore
from tests.conftest import EXAMPLES, settled
from tests.serving import ADMIN_TOKEN
from tests.test_report_fixture_month import BREACHED, EXPECTED_BANDS, MET, TICKETS

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CUSTOMER = "thandi@acme.example"
WAIT_SECONDS = 10

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import (  # noqa: E402
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium from the distribution; never Selenium Manager's download."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        message = "Debian's chromium and chromium-driver are not installed (.ci/run installs them)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager may not reach the network either.
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1280,1800", "--disable-gpu"):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def shot(driver: Any, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def heading(driver: Any, starts: str = "") -> str:
    """The page's h1, once the page that has one starting with ``starts`` is shown."""

    def shown(found: Any) -> str | None:
        try:
            text: str = found.find_element(By.TAG_NAME, "h1").text
        except (NoSuchElementException, StaleElementReferenceException):
            return None
        return text if text.startswith(starts) else None

    try:
        return str(WebDriverWait(driver, WAIT_SECONDS).until(shown))
    except TimeoutException:
        return str(driver.find_element(By.TAG_NAME, "h1").text)


def console_of(served: Any) -> str:
    return str(served.url).rsplit("/webhooks/", 1)[0] + "/admin"


def sign_in(driver: Any, token: str = ADMIN_TOKEN) -> None:
    field = driver.find_element(By.NAME, "token")
    field.clear()
    field.send_keys(token)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()


def count(driver: Any, selector: str) -> int:
    return len(driver.find_elements(By.CSS_SELECTOR, selector))


def test_the_console_in_chromium(
    installed: Any, browser: Any, serve_env: dict[str, str], tmp_path: Path
) -> None:
    zammad, served = installed
    zammad.receive_mail(sender=CUSTOMER, name="Thandi Nkosi", subject="Help", body="Broken.")
    zammad.receive_mail(
        sender=CUSTOMER,
        name="Thandi Nkosi",
        subject="Backup job fails on fileserver02 since Wednesday",
        body="The nightly backup of fileserver02 (10.2.0.12) fails with 'Network error' "
        "since Wednesday; we restarted the agent, no change.",
    )
    settled(zammad, served, 2)
    store = SqliteStore(serve_env["WARDEN_STORE"])
    for record in TICKETS:  # November 2026's dozen, worked out by hand
        store.save_clock(record)
    console = console_of(served)

    # Refused without the cookie: the login form, and none of the data.
    browser.delete_all_cookies()
    browser.get(console + "/decisions")
    assert heading(browser, "Sign in") == "Sign in" and "/admin/login" in browser.current_url
    assert "Help" not in browser.page_source
    shot(browser, "0-login")
    sign_in(browser, "a wrong token")
    refused = WebDriverWait(browser, WAIT_SECONDS).until(
        lambda found: found.find_element(By.ID, "login-error")
    )
    assert refused.text == "wrong token"
    sign_in(browser)
    assert heading(browser, "Decisions") == "Decisions"  # back where we were sent from
    cookie = browser.get_cookie("warden_admin")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"

    # Each page.
    assert count(browser, "article.decision") == 2
    assert "vague-subject" in browser.page_source
    shot(browser, "2-decisions")
    browser.find_element(By.LINK_TEXT, "Overview").click()
    assert heading(browser, "Overview") == "Overview"
    assert browser.find_element(By.CSS_SELECTOR, "#helpdesk .figure").text == "reachable"
    shot(browser, "1-overview")
    browser.find_element(By.LINK_TEXT, "Policy").click()
    assert heading(browser, "Policy").startswith("Policy")
    opening = browser.find_elements(By.CSS_SELECTOR, "#office-week rect.open")
    # Monday to Friday 08:00-17:00: five bars, one on each weekday's row, equally placed.
    assert len({bar.get_attribute("y") for bar in opening}) == 5
    assert {(bar.get_attribute("x"), bar.get_attribute("width")) for bar in opening} == {
        ("296.0", "225.0")
    }
    # Installed by the fixture, so check finds nothing missing in the fake Zammad.
    assert browser.find_element(By.ID, "installation-ok").text.startswith("Zammad holds")
    shot(browser, "3-policy")

    # Try a ticket: the form decides and writes nothing.
    browser.find_element(By.LINK_TEXT, "Try a ticket").click()
    assert heading(browser, "Try a ticket") == "Try a ticket"
    browser.find_element(By.NAME, "subject").send_keys("Help")
    browser.find_element(By.NAME, "body").send_keys("It does not work.")
    browser.find_element(By.NAME, "from").send_keys("it@cobalt.example")
    browser.find_element(By.CSS_SELECTOR, "form.trial button[type=submit]").click()
    decision = WebDriverWait(browser, WAIT_SECONDS).until(
        lambda found: found.find_element(By.ID, "trial-decision")
    )
    assert "vague-subject" in decision.text and "Cobalt Clinics" in decision.text
    shot(browser, "4-try")
    assert len(served.decisions()) == 2

    # The report: both charts, their bars counted, each beside its table.
    browser.get(console + "/report?month=2026-11")
    assert heading(browser, "SLA") == "SLA compliance, 2026-11"
    assert count(browser, "#met-and-breached svg g[id^='met-']") == 6
    assert count(browser, "#met-and-breached svg g[id^='breached-']") == 6
    assert count(browser, "#response-times svg g[id^='bin-']") == len(EXPECTED_BANDS)
    table = browser.find_element(By.CSS_SELECTOR, "#met-and-breached table").text
    assert f"2026-11 {MET} {BREACHED}" in table
    shot(browser, "5-report")
    # A backtest of the same Zammad, run from the command line, is shown as the last one.
    ran = subprocess.run(
        [sys.executable, "-m", "plugin.cli", "backtest", "--since", "1d", "--against",
         str(EXAMPLES / "policy.yaml"), "--output", str(tmp_path / "backtest.json")],
        env=serve_env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    browser.find_element(By.LINK_TEXT, "Backtest").click()
    assert heading(browser, "The last backtest") == "The last backtest"
    examined = browser.find_element(By.XPATH, "//tr[th='tickets examined']/td").text
    assert examined == "2"
    shot(browser, "6-backtest")

    # A form without its CSRF token is refused.
    browser.find_element(By.LINK_TEXT, "Try a ticket").click()
    browser.execute_script("document.querySelector('form.trial input[name=csrf_token]').remove()")
    browser.find_element(By.CSS_SELECTOR, "form.trial button[type=submit]").click()
    assert re.match(r"400 ", heading(browser, "400"))
    assert "CSRF" in browser.page_source
    shot(browser, "7-csrf-refused")

    # Signing out ends it.
    browser.get(console + "/")
    browser.find_element(By.CSS_SELECTOR, "header form button").click()
    assert heading(browser, "Sign in") == "Sign in"
    browser.get(console + "/report")
    assert heading(browser, "Sign in") == "Sign in"
