"""Web floor: the WSGI entry point (`gunicorn dashboard.web.wsgi:server`), the one module-level app.

Settings come from the environment (PFOCR_DATA, PFOCR_CACHE_DIR, DASH_DEBUG); with `--preload` the corpus is
loaded once in the master process and shared by the forked workers.
"""

import gc
import logging

from dashboard.web.app import create_app

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

app = create_app()
server = app.server
# Everything built so far lives as long as the process. Freezing it keeps the workers' garbage collector from
# writing to those objects, which would copy the pages they share with the master (copy-on-write) into each worker.
gc.freeze()
