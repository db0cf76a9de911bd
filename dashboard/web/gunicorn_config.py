"""Web floor: gunicorn's hooks, for `gunicorn --config python:dashboard.web.gunicorn_config dashboard.web.wsgi:server`.

With `--preload` the master imports the WSGI module, which starts loading the corpus in a background thread, then
binds the port and forks its workers at once: they answer with the loading page. When the corpus is ready the
master reloads (SIGHUP, gunicorn's graceful reload): it forks new workers, which inherit the loaded corpus and
share its memory pages, and retires the old ones. The port stays open throughout.
"""

import os
import signal


def when_ready(server) -> None:
    """Once the master listens: have it replace its workers when the corpus it is loading is ready."""
    if not server.cfg.preload_app:
        return  # each worker loads its own corpus, and serves it when ready
    from dashboard.web import wsgi

    master = os.getpid()

    def reload_workers() -> None:
        server.log.info("corpus ready: replacing the workers with ones forked from the loaded master")
        os.kill(master, signal.SIGHUP)

    wsgi.boot.call_when_ready(reload_workers)
