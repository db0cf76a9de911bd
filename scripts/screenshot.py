"""Take the README's and the guide's screenshots: serve the default data, open a deep link in headless Chromium,
optionally click through the page, save a PNG (of the window, or of one element).

python scripts/screenshot.py [--out docs/screenshot.png] [--query "?genes=TNFSF11"] [--size 1400,1000]
    [--type CSS TEXT ...] [--click CSS ...] [--wait CSS] [--element CSS]

Without --wait the deep link is taken to open a record: the shot waits for the network's status and the record's
title. --type types TEXT into an element, then --click clicks each element in turn (waiting for it to be
clickable), and --wait waits for an element to be present before the shot; --element shoots that element only,
scrolled into view.
"""

from __future__ import annotations

import argparse
import logging
import socket
import threading
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait
from werkzeug.serving import make_server

from dashboard.config import Settings
from dashboard.web.app import create_app

log = logging.getLogger("screenshot")
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshot.png"))
    parser.add_argument("--query", default="?genes=TNFSF11,AKT1&figure=PMC7090164__fcell-08-00089-g002")
    parser.add_argument("--size", default="1500,1000")
    parser.add_argument("--type", nargs=2, action="append", default=[], metavar=("CSS", "TEXT"), help="text to type")
    parser.add_argument("--click", action="append", default=[], help="CSS selector to click, in order")
    parser.add_argument("--wait", help="CSS selector to wait for before the shot (instead of a record's title)")
    parser.add_argument("--element", help="CSS selector of the element to shoot (instead of the window)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    port = free_port()
    server = make_server("127.0.0.1", port, create_app(Settings()).server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    options = Options()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking"):
        options.add_argument(flag)
    options.add_argument(f"--window-size={args.size}")
    driver = webdriver.Chrome(options=options)
    try:
        driver.get(f"http://127.0.0.1:{port}/{args.query}")
        wait = WebDriverWait(driver, 30)
        wait.until(expected_conditions.text_to_be_present_in_element((By.ID, "network-status"), "Showing"))
        for selector, text in args.type:
            wait.until(expected_conditions.element_to_be_clickable((By.CSS_SELECTOR, selector))).send_keys(text)
        for selector in args.click:
            wait.until(expected_conditions.element_to_be_clickable((By.CSS_SELECTOR, selector))).click()
        ready = args.wait or "#detail-panel .detail-title"
        wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ready)))
        time.sleep(1.5)  # plotly's drawing and the page's transitions settle
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        if args.element:
            element = driver.find_element(By.CSS_SELECTOR, args.element)
            driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", element)
            time.sleep(0.5)
            element.screenshot(args.out)
        else:
            driver.save_screenshot(args.out)
        log.info("saved %s", args.out)
    finally:
        driver.quit()
        server.shutdown()


if __name__ == "__main__":
    main()
