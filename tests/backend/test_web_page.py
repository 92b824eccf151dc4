"""The operator page in a real headless Chromium (Debian's chromium + chromium-driver, Selenium)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backend.harness import ThreadedBackend
from tests.backend.test_operator_api import PASSWORD, populate

webdriver = pytest.importorskip("selenium.webdriver", reason="pip install selenium")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                reason="apt-get install chromium chromium-driver")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ThreadedBackend]:
    s = ThreadedBackend(f"sqlite:///{tmp_path / 'b.sqlite3'}", tmp_path).start()
    try:
        populate(s)
        yield s
    finally:
        s.stop()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'chromium-profile'}",
                 "--window-size=1400,1000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver: webdriver.Chrome, condition, timeout: float = 20):  # type: ignore[no-untyped-def]
    return WebDriverWait(driver, timeout).until(condition)


def log_in(browser: webdriver.Chrome, server: ThreadedBackend, password: str = PASSWORD) -> None:
    browser.get(server.base_url + "/")
    wait(browser, ec.visibility_of_element_located((By.ID, "login-form")))
    browser.find_element(By.ID, "username").send_keys("alice")
    browser.find_element(By.ID, "password").send_keys(password)
    browser.find_element(By.ID, "login-submit").click()


def test_operator_page_end_to_end(browser: webdriver.Chrome, server: ThreadedBackend) -> None:
    log_in(browser, server, "not the password")
    error = wait(browser, ec.visibility_of_element_located((By.ID, "login-error")))
    wait(browser, lambda d: error.text == "Wrong user name or password")

    browser.find_element(By.ID, "password").clear()
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login-submit").click()
    wait(browser, ec.visibility_of_element_located((By.ID, "fleet")))

    # fleet table
    row = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, '#fleet tr[data-kiosk="KIOSK-A"]'))
    cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
    assert cells[0:2] == ["KIOSK-A", "Mall A"]
    assert cells[3] == "online" and cells[4] == "printer" and cells[6] == "1"
    b_cells = [c.text for c in browser.find_elements(By.CSS_SELECTOR, '#fleet tr[data-kiosk="KIOSK-B"] td')]
    assert b_cells[2:5] == ["never", "offline", "none"]

    # transactions, then filtered by kiosk and state
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#txns tbody tr")) == 10)
    browser.find_element(By.CSS_SELECTOR, '#f-kiosk option[value="KIOSK-A"]').click()
    browser.find_element(By.CSS_SELECTOR, '#f-state option[value="needs_attention"]').click()
    browser.find_element(By.ID, "f-apply").click()
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#txns tbody tr")) == 1)
    stuck = [c.text for c in browser.find_elements(By.CSS_SELECTOR, "#txns tbody tr td")]
    assert stuck[1:4] == ["KIOSK-A", "KIOSK-A-stuck0", "needs_attention"]
    assert stuck[5] == "*******0124"
    href = browser.find_element(By.ID, "csv-link").get_attribute("href")
    assert href.endswith("/api/transactions.csv?kiosk=KIOSK-A&state=needs_attention")

    # the CSV link downloads with the session cookie (fetched from the page itself)
    text = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(document.getElementById('csv-link').href).then(r => r.text()).then(done);")
    lines = text.strip().splitlines()
    assert lines[0].startswith("kiosk_id,txn_id,") and len(lines) == 2 and "KIOSK-A-stuck0" in lines[1]

    # chart: one bar per (day, kiosk) with sales, heights proportional to the amounts
    browser.find_element(By.CSS_SELECTOR, '#f-kiosk option[value=""]').click()
    browser.find_element(By.CSS_SELECTOR, '#f-state option[value=""]').click()
    browser.find_element(By.ID, "f-apply").click()
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#sales-chart rect")) == 3)
    bars = {(b.get_attribute("data-kiosk"), b.get_attribute("data-day")): float(b.get_attribute("height"))
            for b in browser.find_elements(By.CSS_SELECTOR, "#sales-chart rect")}
    assert set(bars) == {("KIOSK-A", "2025-07-01"), ("KIOSK-A", "2025-07-02"), ("KIOSK-B", "2025-07-02")}
    assert bars[("KIOSK-B", "2025-07-02")] == pytest.approx(2 * bars[("KIOSK-A", "2025-07-02")], rel=0.01)
    legend = browser.find_element(By.ID, "chart-legend").text
    assert "KIOSK-A" in legend and "KIOSK-B" in legend

    # a reload keeps the session; logging out ends it
    browser.refresh()
    wait(browser, ec.visibility_of_element_located((By.ID, "fleet")))
    browser.find_element(By.ID, "logout").click()
    wait(browser, ec.visibility_of_element_located((By.ID, "login-form")))
    browser.refresh()
    wait(browser, ec.visibility_of_element_located((By.ID, "login-form")))
    assert not browser.find_element(By.ID, "app").is_displayed()
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "401" not in e["message"]]
    assert errors == []


def test_page_escapes_data_from_kiosks(browser: webdriver.Chrome, server: ThreadedBackend) -> None:
    server.add_kiosk("KIOSK-X", '<img src=x onerror="document.title=\'pwned\'">')
    log_in(browser, server)
    row = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, '#fleet tr[data-kiosk="KIOSK-X"]'))
    assert row.find_elements(By.TAG_NAME, "td")[1].text.startswith("<img")
    assert browser.find_elements(By.CSS_SELECTOR, "#fleet img") == []
    assert browser.title != "pwned"
