"""Take the README's screenshot: serve the default data, open a deep link in headless Chromium, save a PNG.

python scripts/screenshot.py [--out docs/screenshot.png] [--query "?genes=TNFSF11"]
"""

from __future__ import annotations

import argparse
import logging
import socket
import threading
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
        wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "#detail-panel .detail-title")))
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(args.out)
        log.info("saved %s", args.out)
    finally:
        driver.quit()
        server.shutdown()


if __name__ == "__main__":
    main()
