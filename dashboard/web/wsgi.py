"""Web floor: the WSGI entry point (`gunicorn dashboard.web.wsgi:server`), the one module-level app.

Settings come from the environment (PFOCR_DATA, PFOCR_CACHE_DIR, DASH_DEBUG). Importing this module starts loading
the corpus in a background thread and returns at once, so gunicorn binds its port and answers (a loading page,
/healthz 503) within seconds even when the sources must be parsed. With `--preload` and the hooks of
`dashboard.web.gunicorn_config`, the master loads the corpus once and then forks workers that share it.
"""

import logging

from dashboard.web.app import Boot

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

boot = Boot().start()
server = boot
