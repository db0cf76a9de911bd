"""Web floor: gunicorn's settings (`gunicorn --config python:dashboard.web.gunicorn_config
dashboard.web.wsgi:server`, which `python -m dashboard web`, the Procfile's command, runs once the data is made).

The master imports the app before it forks (`preload_app`): the corpus is opened and every index built once, and
the workers share those pages. `pre_fork` checks that no thread of ours is alive then: a thread holding a lock at a
fork would leave the lock held forever in the worker.
"""

import os
import threading

preload_app = True
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
timeout = 120
limit_request_line = 8190  # gunicorn's most (its default is 4094): a page link holds a gene list of 2,000 characters
graceful_timeout = 5  # after a SIGTERM, requests in flight get 5 s (ours take milliseconds); a platform waits ~30 s


def pre_fork(server, _worker) -> None:
    others = [thread.name for thread in threading.enumerate() if thread is not threading.main_thread()]
    if others:
        server.log.error("threads alive when forking a worker: %s", ", ".join(others))
