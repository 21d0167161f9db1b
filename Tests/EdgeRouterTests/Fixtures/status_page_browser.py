"""Drives the status page in headless Chromium (Debian's chromium and chromium-driver) through Selenium.

Arguments: router base URL, admin key, the failing-to-be simulator's control URL, the provider id it serves,
the other provider ids the page must list (comma-separated), and optionally a directory for screenshots.
Every wait is a WebDriverWait with a timeout: a page that never updates fails the script, never hangs it.
Prints one line per check; exits non-zero on the first failure.
"""
import json
import os
import shutil
import sys
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

base, admin_key, sim_control, failing_provider, providers = sys.argv[1:6]
screenshots = sys.argv[6] if len(sys.argv) > 6 else ""
providers = providers.split(",")
WAIT = 30


def set_sim(settings):
    request = urllib.request.Request(
        sim_control, data=json.dumps(settings).encode(), headers={"content-type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200, response.status


def card(driver, provider):
    return driver.find_element(By.CSS_SELECTOR, f'article.deployment[data-provider="{provider}"]')


def breaker_is(provider, state):
    def check(driver):
        try:
            return card(driver, provider).get_attribute("data-breaker") == state
        except Exception:
            return False
    return check


def shoot(driver, name, width, height, whole_page):
    driver.set_window_size(width, height)
    if whole_page:
        # As tall as the content at this width.
        full = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(width, max(height, full))
    driver.save_screenshot(os.path.join(screenshots, name))
    driver.set_window_size(1280, 900)


options = Options()
for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900",
                 "--force-device-scale-factor=1", "--hide-scrollbars"]:
    options.add_argument(argument)
options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
driver = webdriver.Chrome(service=service, options=options)
try:
    wait = WebDriverWait(driver, WAIT)

    # 1. No credentials: the login form. A wrong key: the form again, with the message.
    driver.get(base + "/status")
    wait.until(EC.presence_of_element_located((By.ID, "key")))
    print("login form: shown")
    driver.find_element(By.ID, "key").send_keys("not-the-key")
    driver.find_element(By.ID, "login").click()
    message = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "p.error"))).text
    assert "not an admin key" in message, message
    print("wrong key: refused with a message")

    # 2. The right key: the page, with every deployment, and a cookie script cannot read.
    driver.find_element(By.ID, "key").send_keys(admin_key)
    driver.find_element(By.ID, "login").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "article.deployment")))
    # One script reads every card at once: live updates replace the cards, so elements found first may be stale.
    shown = set(driver.execute_script(
        "return Array.from(document.querySelectorAll('article.deployment')).map(e => e.dataset.provider)"))
    missing = set(providers) - shown
    assert not missing, f"missing deployments: {missing}"
    print("deployments:", ",".join(sorted(shown)))
    cookie = driver.get_cookie("edge_status")
    assert cookie and cookie["httpOnly"] and cookie.get("sameSite") == "Strict", cookie
    assert "edge_status" not in driver.execute_script("return document.cookie")
    print("cookie: HttpOnly, SameSite=Strict")

    # 3. Live: the event stream connects and the page changes without a reload.
    wait.until(lambda d: d.find_element(By.ID, "live").get_attribute("data-state") == "live")
    driver.execute_script("window.edgeMarker = 42")
    first = driver.find_element(By.ID, "updated").text
    wait.until(lambda d: d.find_element(By.ID, "updated").text != first)
    print("live: updated without reload")

    # 4. The simulator fails: its breaker opens on the page, live, with its reason.
    wait.until(breaker_is(failing_provider, "closed"))
    set_sim({"error_rate": 1, "error_status": 503})
    wait.until(breaker_is(failing_provider, "open"))
    # Read in one script and retried: a live update may replace the card between finding it and reading it.
    def breaker_reason(d):
        text = d.execute_script(
            "const p = document.querySelector(`article.deployment[data-provider=\"${arguments[0]}\"] p.reason`);"
            "return p ? p.textContent : '';", failing_provider)
        return text if "reason:" in text else False
    reason = wait.until(breaker_reason)
    assert driver.execute_script("return window.edgeMarker") == 42, "the page reloaded"
    print("failure: breaker open, live:", reason.split(" · ")[0])
    if screenshots:
        shoot(driver, "status-page.png", 1280, 900, whole_page=True)
        shoot(driver, "status-page-phone.png", 390, 844, whole_page=False)
        print("screenshots: saved")

    # 5. It recovers: probes close the breaker again, live.
    set_sim({"error_rate": 0})
    wait.until(breaker_is(failing_provider, "closed"))
    assert driver.execute_script("return window.edgeMarker") == 42, "the page reloaded"
    print("recovery: breaker closed, live")

    # 6. Logout: the form again, the cookie gone, and the page stays closed.
    driver.find_element(By.ID, "logout").click()
    wait.until(EC.presence_of_element_located((By.ID, "key")))
    assert driver.get_cookie("edge_status") is None
    driver.get(base + "/status")
    wait.until(EC.presence_of_element_located((By.ID, "key")))
    assert not driver.find_elements(By.CSS_SELECTOR, "article.deployment")
    print("logout: form shown, cookie cleared")
finally:
    driver.quit()
