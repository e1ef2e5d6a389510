"""The audit log viewer: readable before -> after, filters, pagination, scope, phones."""

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from nutera.admin.audit_log import PER_PAGE, readable_changes
from nutera.extensions import db
from nutera.models import AuditLog
from nutera.security import LABELS, Event


def _entry(world, **values):
    row = {
        "at": datetime(2026, 11, 20, 3, 0, tzinfo=UTC),
        "user_id": world.user_ids["staff"],
        "kelurahan_id": world.kelurahan_id,
        "action": "update",
        "entity": "person",
        "entity_id": 7,
        "changes": {"name": {"before": "SITI AMINAH", "after": "SITI AMINAH BINTI ALI"}},
        "ip": "10.1.2.3",
    }
    row.update(values)
    return row


@pytest.fixture
def log(app, world):
    """A few entries in Tamansari and one in Lebakgede."""
    rows = [
        _entry(world),
        _entry(
            world,
            at=datetime(2026, 11, 25, 2, 0, tzinfo=UTC),
            action="create",
            entity="household",
            entity_id=31,
            changes={"after": {"kk_number": "3273020106150001", "address": "Gg. Melati 3"}},
            user_id=world.user_ids["volunteer"],
        ),
        _entry(
            world,
            at=datetime(2026, 11, 26, 1, 0, tzinfo=UTC),
            action="security",
            entity="login.failed",
            entity_id=None,
            changes={"username": "petugas"},
            user_id=None,
            ip="10.9.9.9",
        ),
        _entry(
            world,
            kelurahan_id=world.other_kelurahan_id,
            user_id=world.user_ids["other_staff"],
            entity_id=99,
            changes={"name": {"before": "RAHASIA LAIN", "after": "RAHASIA LAIN 2"}},
        ),
    ]
    with app.app_context():
        db.session.execute(sa.insert(AuditLog), rows)
        db.session.commit()


SIGN_IN = LABELS[Event.LOGIN_OK]


def _rows(html: str) -> list[str]:
    """The log's rows, less the sign-ins of the test's own users (security events too)."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = [row for row in body.split("<tr")[1:] if "Tidak ada catatan" not in row]
    return [row for row in rows if SIGN_IN not in row]


def test_changes_read_as_before_and_after_not_json(client, login_as, log):
    login_as("staff")
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "<del>" in html and "SITI AMINAH</del>" in html
    assert "<ins>SITI AMINAH BINTI ALI</ins>" in html
    assert '{"name"' not in html and "&#34;before&#34;" not in html and '"before"' not in html
    assert "Warga #7" in html and "diubah" in html
    assert "nomor KK" in html and "Gg. Melati 3" in html  # a created record lists its fields


def test_staff_see_only_their_kelurahan(client, login_as, log):
    login_as("staff")
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "RAHASIA LAIN" not in html
    assert len(_rows(html)) == 3
    # Asking for the other kelurahan's record or user by the filters does not reach it.
    html = client.get("/admin/audit?data=person&nomor=99").get_data(as_text=True)
    assert "RAHASIA LAIN" not in html and len(_rows(html)) == 0


def test_admin_sees_every_kelurahan(client, login_as, log):
    login_as("admin")
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "RAHASIA LAIN" in html and len(_rows(html)) == 4


def test_volunteers_may_not_read_the_log(client, login_as, log):
    login_as("volunteer")
    assert client.get("/admin/audit").status_code in (403, 404)


def test_filter_by_user(client, login_as, log, world):
    login_as("staff")
    html = client.get(f"/admin/audit?pengguna={world.user_ids['volunteer']}").get_data(
        as_text=True
    )
    [row] = _rows(html)
    assert "Gg. Melati 3" in row
    assert re.search(rf'<option selected value="{world.user_ids["volunteer"]}"', html) or (
        f'value="{world.user_ids["volunteer"]}" selected' in html
    )


def test_filter_security_events(client, login_as, log):
    login_as("staff")
    html = client.get("/admin/audit?jenis=keamanan").get_data(as_text=True)
    [row] = _rows(html)
    assert "Keamanan" in row and "10.9.9.9" in row
    html = client.get("/admin/audit?jenis=data").get_data(as_text=True)
    assert len(_rows(html)) == 2 and "10.9.9.9" not in html
    html = client.get("/admin/audit?jenis=buat").get_data(as_text=True)
    assert len(_rows(html)) == 1 and "Gg. Melati 3" in html


def test_filter_by_record(client, login_as, log):
    login_as("staff")
    html = client.get("/admin/audit?data=person&nomor=7").get_data(as_text=True)
    [row] = _rows(html)
    assert "Warga #7" in row
    assert len(_rows(client.get("/admin/audit?data=household").get_data(as_text=True))) == 1


def test_filter_by_local_date_range(client, login_as, log):
    login_as("staff")
    # 25 Nov 02.00 UTC is 25 Nov 09.00 WIB; 26 Nov 01.00 UTC is 26 Nov 08.00 WIB.
    html = client.get("/admin/audit?dari=2026-11-25&sampai=2026-11-25").get_data(as_text=True)
    [row] = _rows(html)
    assert "Gg. Melati 3" in row
    html = client.get("/admin/audit?dari=2026-11-21").get_data(as_text=True)
    assert len(_rows(html)) == 2


def test_bad_filters_are_explained_and_kept(client, login_as, log):
    login_as("staff")
    response = client.get("/admin/audit?dari=2026-11-25&sampai=2026-11-01&nomor=abc&jenis=x")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Tanggal akhir sebelum tanggal awal." in html
    assert 'value="2026-11-01"' in html and 'value="abc"' in html
    assert "Pilihan tidak sah." in html
    huge = client.get("/admin/audit?nomor=99999999999999999999999&page=99999999999999999999")
    assert huge.status_code in (200, 404)  # never a 500 (a page past the range is not found)


def test_pagination_keeps_the_filters(app, client, login_as, world):
    with app.app_context():
        db.session.execute(
            sa.insert(AuditLog),
            [_entry(world, entity_id=1000 + n) for n in range(PER_PAGE + 5)],
        )
        db.session.commit()
    login_as("staff")
    first = client.get("/admin/audit?jenis=ubah").get_data(as_text=True)
    assert len(_rows(first)) == PER_PAGE
    assert 'aria-label="Halaman berikutnya"' in first
    assert "jenis=ubah" in first.split('aria-label="Halaman berikutnya"')[0].rsplit("href=", 1)[1]
    second = client.get("/admin/audit?jenis=ubah&page=2").get_data(as_text=True)
    assert len(_rows(second)) == 5


def test_table_is_a_labelled_focusable_region_stacked_on_phones(client, login_as, log):
    login_as("staff")
    html = client.get("/admin/audit").get_data(as_text=True)
    assert re.search(
        r'class="table-responsive[^"]*" tabindex="0" role="region" aria-label="', html
    )
    assert "nt-stack" in html and 'data-label="Perubahan"' in html
    assert "<th></th>" not in html


def test_readable_changes_of_each_shape(app, world):
    entry = AuditLog(
        action="update", entity="person", changes={"status": {"before": None, "after": "pindah"}}
    )
    [change] = readable_changes(entry)
    assert (change.field, change.before, change.after, change.paired) == (
        "status",
        None,
        "pindah",
        True,
    )
    deleted = AuditLog(
        action="delete", entity="person", changes={"before": {"name": "X", "nik": "1"}}
    )
    assert [(c.field, c.before) for c in readable_changes(deleted)] == [
        ("nama", "X"),
        ("NIK", "1"),
    ]
    bulk = AuditLog(action="commit", entity="refresh", changes={"applied": {"persons_new": 3}})
    [change] = readable_changes(bulk)
    assert change.after == "persons new: 3"
    dated = AuditLog(
        action="update",
        entity="survey",
        changes={"verified_at": {"before": None, "after": "2026-11-20T03:00:00+00:00"}},
    )
    assert readable_changes(dated)[0].after == "20 November 2026 10.00"


def test_user_ids_in_changes_read_as_names(app, client, login_as, world):
    with app.app_context():
        entry = _entry(
            world,
            entity="complaint",
            changes={"assigned_to_id": {"before": None, "after": world.user_ids["staff"]}},
        )
        db.session.execute(sa.insert(AuditLog), [entry])
        db.session.commit()
        from nutera.models import User

        name = db.session.get(User, world.user_ids["staff"]).full_name
    login_as("staff")
    html = client.get("/admin/audit").get_data(as_text=True)
    assert re.search(r'data-field="assigned_to_id">ditugaskan ke</span>', html)
    assert f"<ins>{name}</ins>" in html


def test_api_reads_show_the_client_and_have_their_own_filter(app, client, login_as, world):
    with app.app_context():
        db.session.execute(
            sa.insert(AuditLog),
            [
                _entry(world),
                _entry(
                    world,
                    user_id=None,
                    kelurahan_id=None,
                    action="api_read",
                    entity="/api/v1/status",
                    entity_id=None,
                    changes={"client_name": "Super-app warga", "nik_hashes": ["a1", "b2"]},
                ),
            ],
        )
        db.session.commit()
    login_as("admin")
    html = client.get("/admin/audit?jenis=api").get_data(as_text=True)
    [row] = _rows(html)
    assert "Super-app warga" in row and "2 NIK" in row and "a1" not in row
    assert "Super-app warga" not in client.get("/admin/audit?jenis=data").get_data(as_text=True)
