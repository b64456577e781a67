"""The labelling page in a real browser: headless Chromium flips two labels (a click, a key),
saves (a key, then the button), and the labels file beside the page holds them.

Needs Debian's chromium and chromium-driver and the `browser` extra (selenium): `make browser-test`
installs them and runs this file; without them it is skipped, saying so.
"""

import shutil
import threading
from pathlib import Path

import pytest

from boilerline import shared_model
from boilerline.labelling import LabellingServer, page_to_label
from data.sources import read_labelled_text

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# As in the headless probe: no network of its own, no profile but a fresh one.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1200,900",
]
PAGE = Path(__file__).parent / "fixtures" / "pages" / "article.html"

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason=f"{CHROMIUM} or {CHROMEDRIVER} is missing: `make browser-test` installs them (apt-get install chromium chromium-driver)",
)
webdriver = pytest.importorskip(
    "selenium.webdriver", reason="selenium is missing: `make browser-test` installs it (pip install -e '.[browser]')"
)
from selenium.webdriver.common.by import By  # noqa: E402  (after the skip: selenium may be absent)
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture
def server(tmp_path):
    path = Path(shutil.copy(PAGE, tmp_path / PAGE.name))
    served = LabellingServer([page_to_label(shared_model(), str(path), path, "html", path.read_bytes())], port=0)
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    yield served
    served.shutdown()
    served.server_close()


@pytest.fixture
def browser(tmp_path):
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def line_row(browser, index: int):
    row = browser.find_element(By.CSS_SELECTOR, f'.line[data-index="{index}"]')
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", row)  # clear of the sticky header
    return row


def saved(browser, wait: WebDriverWait) -> str:
    wait.until(lambda _: browser.find_element(By.ID, "status").text.startswith("saved"))
    return browser.find_element(By.ID, "status").text


def test_two_labels_flipped_in_the_browser_are_saved_beside_the_page(server, browser):
    page = server.pages[0]
    expected = list(page.model_labels)
    wait = WebDriverWait(browser, 20)
    browser.get(server.url)
    wait.until(lambda _: browser.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
    rows = browser.find_elements(By.CSS_SELECTOR, ".line")
    assert len(rows) == len(page.texts)
    assert browser.find_elements(By.CSS_SELECTOR, ".line.t-h1")  # styled by the line's block
    body = browser.find_element(By.TAG_NAME, "body")

    body.send_keys("n")  # to the most doubtful line, then flip it with a key
    doubtful = int(browser.find_element(By.CSS_SELECTOR, ".line.current").get_attribute("data-index"))
    body.send_keys(Keys.SPACE)
    expected[doubtful] = 1 - expected[doubtful]
    clicked = 0 if doubtful else 1
    line_row(browser, clicked).click()
    expected[clicked] = 1 - expected[clicked]
    assert line_row(browser, clicked).get_attribute("data-label") == ("content" if expected[clicked] else "boilerplate")

    body.send_keys("s")
    assert saved(browser, wait) == "saved article.tsv"
    assert read_labelled_text(page.labels_file).labels == expected

    line_row(browser, clicked).click()  # back to the model's label, saved with the button
    expected[clicked] = 1 - expected[clicked]
    browser.find_element(By.ID, "save").click()
    wait.until(lambda _: read_labelled_text(page.labels_file).labels == expected)
    assert page.labels_file == Path(page.name).with_suffix(".tsv")
