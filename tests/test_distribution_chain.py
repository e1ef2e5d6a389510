"""The hash chain: any later edit, deletion or file change is reported by `distribution verify`."""

import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from nutera.distribution.chain import verify_event
from nutera.distribution.services import HandoverInput, record_handover
from nutera.extensions import db
from nutera.models import DistributionEvent, DistributionRecipient, Handover, User
from tests.factories_distribution import jpeg_bytes, make_event, signature_png


@pytest.fixture
def chain(app, world, tmp_path):
    """An event of three recipients who all received; returns (event_id, upload folder)."""
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    from nutera.models import Household
    from tests import factories

    with app.app_context():
        third = factories.make_household(
            db.session, db.session.get(Household, world.household_ids["assigned"]).rt
        )
        world.household_ids["third"] = third.id
        event_id = make_event(db.session, world, households=("assigned", "unassigned", "third"))
        staff = db.session.get(User, world.user_ids["staff"])
        recipients = db.session.scalars(
            sa.select(DistributionRecipient).order_by(DistributionRecipient.id)
        ).all()
        for number, recipient in enumerate(recipients):
            record_handover(
                db.session,
                staff,
                recipient,
                HandoverInput(
                    idempotency_key=f"key-{number:02d}-0123456789abcdef",
                    photo=io.BytesIO(jpeg_bytes(color=(number * 40, 80, 80))),
                    signature=io.BytesIO(signature_png()),
                    latitude=-6.9,
                    longitude=107.6,
                ),
            )
        db.session.commit()
    return event_id, Path(app.config["UPLOAD_FOLDER"])


def run_verify(runner, event_id):
    return runner.invoke(args=["distribution", "verify", str(event_id)])


def execute(app, statement):
    with app.app_context():
        db.session.execute(statement)
        db.session.commit()


def stored(app, seq):
    with app.app_context():
        return db.session.scalar(sa.select(Handover).where(Handover.seq == seq))


def test_an_untouched_chain_verifies(app, chain, runner):
    event_id, _ = chain
    result = run_verify(runner, event_id)
    assert result.exit_code == 0, result.output
    assert "rantai utuh, 3 serah terima" in result.output


def test_an_edited_row_is_detected(app, chain, runner):
    event_id, _ = chain
    execute(
        app,
        sa.update(Handover)
        .where(Handover.seq == 2)
        .values(officer_id=sa.literal(stored(app, 1).officer_id), proxy_name="ORANG LAIN"),
    )
    result = run_verify(runner, event_id)
    assert result.exit_code == 1
    assert "No. 2: isi catatan diubah" in result.output


def test_an_edited_row_with_a_recomputed_hash_breaks_the_next_link(app, chain):
    from nutera.distribution.chain import handover_hash

    event_id, _ = chain
    with app.app_context():
        second = db.session.scalar(sa.select(Handover).where(Handover.seq == 2))
        second.note = "diubah diam-diam"
        second.hash = handover_hash(second.prev_hash, second)
        db.session.commit()
        kinds = [
            (b.seq, b.kind) for b in verify_event(db.session.get(DistributionEvent, event_id))
        ]
    assert kinds == [(3, "link_broken")]


@pytest.mark.parametrize(
    ("seq", "report"),
    [
        (2, "No. 2-2: catatan terhapus"),  # a row in the middle
        (3, "tercatat 3 serah terima, ditemukan 2"),  # the last row
    ],
)
def test_a_deleted_row_is_detected(app, chain, runner, seq, report):
    event_id, _ = chain
    execute(app, sa.delete(Handover).where(Handover.seq == seq))
    result = run_verify(runner, event_id)
    assert result.exit_code == 1
    assert report in result.output


def test_a_changed_or_missing_file_is_detected(app, chain, runner):
    event_id, folder = chain
    photo = folder / stored(app, 1).photo_path
    photo.write_bytes(jpeg_bytes(color=(255, 0, 0)))
    (folder / stored(app, 3).signature_path).unlink()
    result = run_verify(runner, event_id)
    assert result.exit_code == 1
    assert "No. 1: berkas foto berubah" in result.output
    assert "No. 3: berkas tanda tangan hilang" in result.output


def test_verify_of_an_unknown_event_fails(runner):
    result = run_verify(runner, 999)
    assert result.exit_code != 0 and "tidak ada" in result.output
