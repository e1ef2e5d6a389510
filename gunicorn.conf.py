"""gunicorn settings read from the project folder: Prometheus multiprocess bookkeeping.

With PROMETHEUS_MULTIPROC_DIR set (an empty folder, cleared before each start), every
worker writes its request metrics there and /metrics sums them; a worker that exits is
marked dead so its gauges stop counting. Everything else is given on the command line.
"""

import os


def child_exit(server, worker):
    """Tell the Prometheus collector that this worker is gone."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
