"""Work the queue's scheduler starts by the clock, on the one worker run with periodic on.

Times are UTC (Huey runs in UTC): 19:00 UTC is 02:00 WIB. Each task calls the same
service its `flask` command calls, so cron stays an alternative.
"""

from flask import Flask
from huey import crontab

from nutera import queue
from nutera.extensions import db


@queue.periodic(crontab(minute="*"))
def deliver_webhooks(app: Flask, task) -> None:
    """Every minute: queue new changes for subscribed API clients and send what is due."""
    from nutera.api import webhooks

    webhooks.queue(db.session)
    db.session.commit()
    webhooks.deliver_due(db.session)
    db.session.commit()


@queue.periodic(crontab(minute="0", hour="19"))
def nightly_equity_snapshot(app: Flask, task) -> None:
    """At 02:00 WIB: today's fairness indicators of every kelurahan (flask equity snapshot)."""
    from nutera.equity import snapshots

    snapshots.snapshot_all(db.session, "harian")
    db.session.commit()


@queue.periodic(crontab(minute="*/15"))
def recount_city_figures(app: Flask, task) -> None:
    """Every 15 minutes: residents and recipients per kelurahan for the city overview."""
    from nutera.city import figures
    from nutera.timeutil import utcnow

    figures.recount(db.session, utcnow())
    db.session.commit()
