"""Web floor: the WSGI entry point (`gunicorn dashboard.web.wsgi:server`), the one module-level app.

Settings come from the environment (PFOCR_DATA, PFOCR_CACHE_DIR, DASH_DEBUG); with `--preload` the corpus is
loaded once in the master process and shared by the forked workers.
"""

import logging

from dashboard.web.app import create_app

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

app = create_app()
server = app.server
