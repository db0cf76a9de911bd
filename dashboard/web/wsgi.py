"""Web floor: the WSGI entry point (`gunicorn dashboard.web.wsgi:server`), the one module-level app.

Importing it opens the corpus the settings name (`PFOCR_DATA`: a bundle, or sources through the cache, whose entry
is made first if missing — `python -m dashboard web`, the Procfile's command, makes it before gunicorn starts), builds
every index, and freezes what it made. With `--preload` gunicorn's master imports it once and forks workers that
share those memory pages; no thread of ours is alive at that fork.
"""

import gc
import logging

from dashboard.web.app import create_app

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

app = create_app()
# Everything built so far lives as long as the process. Freezing it keeps the workers' garbage collector from
# writing to those objects, which would copy the pages they share with the master into each worker.
gc.freeze()
server = app.server
