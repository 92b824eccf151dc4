"""The operator page's aggregator panel, alert, translation editor and pending top-ups in headless Chromium."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.operators import hash_password
from backend.provider import TopUpRequest
from backend.providers import load
from tests.backend.aggregators.conftest import dtone_config, reloadly_config
from tests.backend.aggregators.fakes import FakeDTOne, FakeReloadly
from tests.backend.harness import ThreadedBackend, signed_get
from tests.backend.test_web_page import CHROMEDRIVER, CHROMIUM, PASSWORD, browser, log_in, wait

webdriver = pytest.importorskip("selenium.webdriver", reason="pip install selenium")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402

pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="apt-get install chromium chromium-driver")
__all__ = ["browser"]  # the fixture, imported for use here


@pytest.fixture
def server(dtone_fake: FakeDTOne, tmp_path: Path) -> Iterator[ThreadedBackend]:
    dtone_fake.balance = 80.0
    config = dataclasses.replace(dtone_config(dtone_fake, tmp_path), low_balance_cents=10_000)
    adapter = load("dtone", config)
    s = ThreadedBackend(f"sqlite:///{tmp_path / 'b.sqlite3'}", tmp_path, provider=adapter,
                        provider_config=config).start()
    s.backend.store.add_operator("alice", hash_password(PASSWORD))
    try:
        yield s
    finally:
        s.stop()
        adapter.close()


def test_balance_alert_and_translation_editor(browser: webdriver.Chrome, server: ThreadedBackend,
                                              tmp_path: Path) -> None:
    log_in(browser, server)
    alert = wait(browser, ec.visibility_of_element_located((By.ID, "provider-alert")))
    assert alert.text == "Aggregator balance low: 80.00 USD (warning under 100.00 USD)"
    assert browser.find_element(By.ID, "pv-name").text == "dtone (sandbox)"
    assert browser.find_element(By.ID, "pv-balance").text == "80.00 USD"
    row = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, '#plans tr[data-plan="dt-101"]'))
    cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
    assert cells[:6] == ["dt-101", "T-Mobile", "T-Mobile Unlimited 30 days", "50.00 USD", "30", "on sale"]
    assert cells[6] == cells[7] == "— (English shown)"

    row.find_element(By.TAG_NAME, "button").click()
    wait(browser, ec.visibility_of_element_located((By.ID, "i18n-form")))
    browser.find_element(By.ID, "i18n-zh_CN-name").send_keys("无限套餐")
    browser.find_element(By.ID, "i18n-zh_CN-benefits").send_keys("无限通话\n无限流量")
    browser.find_element(By.ID, "i18n-es-name").send_keys("Ilimitado")
    browser.find_element(By.ID, "i18n-save").click()
    wait(browser, ec.invisibility_of_element_located((By.ID, "i18n-form")))
    row = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, '#plans tr[data-plan="dt-101"]'))
    wait(browser, lambda d: "无限套餐" in row.text)
    cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
    assert cells[6:8] == ["无限套餐 · 无限通话, 无限流量", "Ilimitado"]
    browser.execute_script("window.scrollTo(0, 0)")
    browser.save_screenshot(str(tmp_path / "operator-page.png"))

    secret = server.add_kiosk("KIOSK-0001")
    plan = next(p for p in signed_get(server.base_url, "/v1/catalog", "KIOSK-0001", secret).json()["plans"]
                if p["id"] == "dt-101")
    assert plan["i18n"] == {"es": {"name": "Ilimitado"},
                            "zh_CN": {"name": "无限套餐", "benefits": ["无限通话", "无限流量"]}}
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "401" not in e["message"]]
    assert errors == []


@pytest.fixture
def reloadly_server(reloadly_fake: FakeReloadly, tmp_path: Path) -> Iterator[ThreadedBackend]:
    config = reloadly_config(reloadly_fake, tmp_path)
    adapter = load("reloadly", config)
    s = ThreadedBackend(f"sqlite:///{tmp_path / 'b.sqlite3'}", tmp_path, provider=adapter,
                        provider_config=config).start()
    s.backend.store.add_operator("alice", hash_password(PASSWORD))
    try:
        yield s
    finally:
        s.stop()
        adapter.close()


def test_a_pending_top_up_is_settled_from_the_page(browser: webdriver.Chrome, reloadly_server: ThreadedBackend,
                                                   reloadly_fake: FakeReloadly) -> None:
    server = reloadly_server
    server.add_kiosk("KIOSK-0001")
    topups = server.backend.topups
    topups.catalog_service.current()
    reloadly_fake.fault("POST", "/topups", "500")  # never reached Reloadly: pending for good
    request = TopUpRequest("k-page", "12025550123", "T-Mobile", None, "rl-11-5000", 5000, "USD", "KIOSK-0001")
    assert topups.submit(request).body["status"] == "pending"
    log_in(browser, server)
    row = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, '#pending tr[data-key="k-page"]'))
    cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
    assert cells[1:6] == ["KIOSK-0001", "k-page", "*******0123", "rl-11-5000", "50.00 USD"]
    row.find_element(By.TAG_NAME, "button").click()
    wait(browser, ec.visibility_of_element_located((By.ID, "settle-form")))
    browser.find_element(By.ID, "settle-reason").send_keys("Reloadly support: never received")
    browser.find_element(By.ID, "settle-submit").click()
    wait(browser, ec.invisibility_of_element_located((By.ID, "settle-form")))
    log_row = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#settlements tbody tr"))
    assert "alice" in log_row.text and "failed/transient" in log_row.text and "never received" in log_row.text
    assert "No top-up is pending." in browser.find_element(By.ID, "pending").text
    assert server.backend.store.topup("k-page")["status"] == "failed"  # type: ignore[index]
