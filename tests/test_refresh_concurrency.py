"""Commits and reverts of different sources of one kelurahan cannot erase each other.

The concurrent cases run real threads on PostgreSQL (SQLite serialises writers and would
hide the race); the ordering cases run on both.
"""

import os
import threading
import time
from datetime import date

import pytest
import sqlalchemy as sa

from nutera.audit import Actor
from nutera.extensions import db
from nutera.models import Household, Person, Refresh
from nutera.refresh import commit, revert, staging
from nutera.refresh.commit import RefreshStateError
from nutera.refresh.kelurahan_lock import lock_for_writing
from nutera.timeutil import as_utc
from tests import factories
from tests.factories_refresh import make_sample_kelurahan, write_csv

CLI = Actor(None, "cli")
ON_POSTGRES = (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql")


@pytest.fixture
def town(app):
    """A kelurahan with 30 households of one resident each; returns (kelurahan_id, rows)."""
    with app.app_context():
        kelurahan = make_sample_kelurahan(db.session)
        rt = factories.rt_of(kelurahan, 1, 1)
        households = [
            factories.make_household(
                db.session,
                rt,
                kk_number=factories.make_kk(serial=8000 + n),
                members=[
                    {
                        "name": f"ASLI {n}",
                        "sex": "L",
                        "birth_date": date(1970, 1, 1 + n % 28),
                        "relation": "kepala",
                    }
                ],
            )
            for n in range(30)
        ]
        db.session.commit()
        rows = [
            (h.members[0].nik, h.kk_number, h.members[0].birth_date, h.address) for h in households
        ]
        return kelurahan.id, rows


def renaming_file(tmp_path, rows, prefix: str):
    """A file of a source that renames every resident to prefix + number."""
    return write_csv(
        tmp_path / f"{prefix}.csv",
        [
            [nik, kk, f"{prefix} {n}", "L", born.strftime("%d/%m/%Y"), address, "001", "001", ""]
            for n, (nik, kk, born, address) in enumerate(rows)
        ],
    )


def previewed(kelurahan_id, path, source):
    refresh = staging.create_refresh(db.session, kelurahan_id, None, source, path, path.name)
    staging.analyse(db.session, refresh)
    db.session.commit()
    return refresh.id


def names():
    return set(db.session.scalars(sa.select(Person.name)))


def prefixes():
    return {name.split()[0] for name in names()}


def commit_in_thread(app, refresh_id, outcomes, barrier):
    with app.app_context():
        refresh = db.session.get(Refresh, refresh_id)
        barrier.wait()
        try:
            commit.commit_refresh(db.session, refresh, CLI)
            db.session.commit()
            outcomes[refresh_id] = "applied"
        except RefreshStateError as error:
            db.session.rollback()
            outcomes[refresh_id] = str(error)
        finally:
            db.session.remove()


@pytest.mark.postgres_only
@pytest.mark.skipif(not ON_POSTGRES, reason="real concurrent writers need PostgreSQL")
def test_two_sources_committed_at_once_one_is_refused_and_the_registry_is_whole(
    app, town, tmp_path
):
    kelurahan_id, rows = town
    with app.app_context():
        first = previewed(kelurahan_id, renaming_file(tmp_path, rows, "DTKS"), "DTKS")
        second = previewed(kelurahan_id, renaming_file(tmp_path, rows, "DINSOS"), "Dinsos")
        db.session.remove()
    outcomes: dict[int, str] = {}
    barrier = threading.Barrier(2)
    threads = [
        threading.Thread(target=commit_in_thread, args=(app, refresh_id, outcomes, barrier))
        for refresh_id in (first, second)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == sorted((first, second))
    applied = [r for r, outcome in outcomes.items() if outcome == "applied"]
    refused = [outcome for outcome in outcomes.values() if outcome != "applied"]
    assert len(applied) == 1 and len(refused) == 1
    assert "Registri sudah berubah sejak pratinjau" in refused[0]
    with app.app_context():
        winner = db.session.get(Refresh, applied[0])
        assert prefixes() == {winner.source.upper()}
        # Reverting the one that applied gives back exactly the original names.
        revert.revert_refresh(db.session, winner, CLI)
        db.session.commit()
        assert prefixes() == {"ASLI"}


@pytest.mark.postgres_only
@pytest.mark.skipif(not ON_POSTGRES, reason="real concurrent writers need PostgreSQL")
def test_a_commit_waits_for_another_sources_commit_in_the_same_kelurahan(app, town, tmp_path):
    kelurahan_id, rows = town
    with app.app_context():
        refresh_id = previewed(kelurahan_id, renaming_file(tmp_path, rows, "DTKS"), "DTKS")
        db.session.remove()
    held = threading.Event()
    release = threading.Event()

    def holder():
        with app.app_context():
            lock_for_writing(db.session, kelurahan_id)  # as another source's commit would
            held.set()
            release.wait(10)
            db.session.rollback()
            db.session.remove()

    outcomes: dict[int, str] = {}
    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(5)
    committer = threading.Thread(
        target=commit_in_thread, args=(app, refresh_id, outcomes, threading.Barrier(1))
    )
    committer.start()
    time.sleep(1.0)
    assert outcomes == {}  # still waiting for the lock
    release.set()
    committer.join(30)
    thread.join(10)
    assert outcomes == {refresh_id: "applied"}


def test_sources_committed_in_turn_each_revert_restores_exactly_its_own_values(
    app_ctx, town, tmp_path
):
    kelurahan_id, rows = town
    first = db.session.get(
        Refresh, previewed(kelurahan_id, renaming_file(tmp_path, rows, "DTKS"), "DTKS")
    )
    commit.commit_refresh(db.session, first, CLI)
    db.session.commit()
    second = db.session.get(
        Refresh, previewed(kelurahan_id, renaming_file(tmp_path, rows, "DINSOS"), "Dinsos")
    )
    commit.commit_refresh(db.session, second, CLI)
    db.session.commit()
    assert prefixes() == {"DINSOS"}
    # Visible time and stamp: the second's records are stamped after the first was visible.
    assert as_utc(second.records_stamped_at) >= as_utc(first.committed_at)
    assert as_utc(first.committed_at) >= as_utc(first.records_stamped_at)
    with pytest.raises(RefreshStateError):  # only the last one can be reverted
        revert.revert_refresh(db.session, first, CLI)
    db.session.rollback()
    revert.revert_refresh(db.session, second, CLI)
    db.session.commit()
    assert prefixes() == {"DTKS"}
    revert.revert_refresh(db.session, db.session.get(Refresh, first.id), CLI)
    db.session.commit()
    assert prefixes() == {"ASLI"}


def test_a_preview_analysed_before_another_source_committed_is_refused(app_ctx, town, tmp_path):
    kelurahan_id, rows = town
    first = previewed(kelurahan_id, renaming_file(tmp_path, rows, "DTKS"), "DTKS")
    second = previewed(kelurahan_id, renaming_file(tmp_path, rows, "DINSOS"), "Dinsos")
    commit.commit_refresh(db.session, db.session.get(Refresh, first), CLI)
    db.session.commit()
    with pytest.raises(RefreshStateError, match="Registri sudah berubah"):
        commit.commit_refresh(db.session, db.session.get(Refresh, second), CLI)
    db.session.rollback()
    assert prefixes() == {"DTKS"}


def test_revert_is_refused_when_a_later_survey_changed_a_record_it_would_restore(
    app_ctx, town, tmp_path
):
    kelurahan_id, rows = town
    refresh = db.session.get(
        Refresh, previewed(kelurahan_id, renaming_file(tmp_path, rows, "DTKS"), "DTKS")
    )
    commit.commit_refresh(db.session, refresh, CLI)
    db.session.commit()
    household = db.session.scalar(sa.select(Household).order_by(Household.id).limit(1))
    household.members[0].name = "HASIL SURVEI"  # what an approved survey writes
    db.session.commit()
    with pytest.raises(RefreshStateError, match="sudah diubah lagi"):
        revert.revert_refresh(db.session, refresh, CLI)
    db.session.rollback()
    assert "HASIL SURVEI" in names()
