"""Dinas and kecamatan accounts: the overview per kelurahan, its export, and no write at all."""

import io
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from nutera.auth.readonly import OPEN_WRITES, _machine_blueprints, refuse_writes
from nutera.city import figures
from nutera.extensions import db
from nutera.models import (
    AidProgram,
    AuditLog,
    Household,
    Kelurahan,
    KelurahanFigures,
    Person,
    User,
)
from nutera.refresh import staging
from nutera.timeutil import as_utc, utcnow
from tests import factories
from tests.factories_complaints import make_complaint
from tests.factories_refresh import write_csv
from tests.factories_surveys import make_survey


@pytest.fixture
def city(app, world, tmp_path):
    """Figures to count: programs and recipients, a survey verified this month, complaints
    (one overdue), and a refresh committed 2 days ago in Tamansari, 10 days ago in Lebakgede."""
    with app.app_context():
        tamansari = db.session.get(Kelurahan, world.kelurahan_id)
        lebakgede = db.session.get(Kelurahan, world.other_kelurahan_id)
        pkh = factories.make_program(db.session, tamansari, "PKH")
        bpnt = factories.make_program(db.session, lebakgede, "BPNT")
        for key in ("assigned", "unassigned"):
            factories.enroll(db.session, pkh, db.session.get(Household, world.household_ids[key]))
        factories.enroll(db.session, bpnt, db.session.get(Household, world.household_ids["other"]))
        volunteer = db.session.get(User, world.user_ids["volunteer"])
        survey = make_survey(db.session, volunteer, volunteer.assigned_rts[0])
        survey.status, survey.decided_at = "verified", utcnow()
        make_complaint(db.session, tamansari.id)  # received 23 Nov: overdue by now
        make_complaint(db.session, lebakgede.id, received=utcnow().date())
        for kelurahan, days in ((tamansari, 2), (lebakgede, 10)):
            path = write_csv(tmp_path / f"{kelurahan.code}.csv", [["1"]])
            refresh = staging.create_refresh(
                db.session, kelurahan.id, None, "DTKS", path, path.name
            )
            refresh.status, refresh.committed_at = "diterapkan", utcnow() - timedelta(days=days)
        db.session.commit()
    return world


def _row(page: str, code: str) -> str:
    match = re.search(rf'<tr data-kelurahan="{code}">(.*?)</tr>', page, re.S)
    assert match, f"no row for {code}"
    return match.group(1)


def _cell(row: str, column: str) -> str:
    match = re.search(rf'data-col="{column}">(.*?)</td>', row, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else ""


def test_dinas_lands_on_the_city_overview_with_each_kelurahans_figures(client, login_as, city):
    login_as("dinas")
    assert client.get("/dasbor").location.endswith("/kota")
    page = client.get("/kota").get_data(as_text=True)
    tamansari, lebakgede = _row(page, "3273021003"), _row(page, "3273031002")
    assert _cell(tamansari, "residents") == "2" and _cell(lebakgede, "residents") == "1"
    assert _cell(tamansari, "program-PKH") == "2" and _cell(tamansari, "program-BPNT") == "0"
    assert _cell(lebakgede, "program-BPNT") == "1"
    assert _cell(tamansari, "surveys") == "1" and _cell(lebakgede, "surveys") == "0"
    assert _cell(tamansari, "open") == "1" and _cell(tamansari, "overdue") == "1"
    assert _cell(lebakgede, "open") == "1" and _cell(lebakgede, "overdue") == "0"
    assert "data-refresh-overdue" not in tamansari and "data-refresh-overdue" in lebakgede
    assert "Seluruh kota" in page
    # Open complaints lead to the desk, filtered to that kelurahan's open ones.
    desk = re.search(r'data-col="open"><a class="nt-tap" href="([^"]+)"', tamansari).group(1)
    listed = client.get(desk.replace("&amp;", "&")).get_data(as_text=True)
    assert f"kelurahan={city.kelurahan_id}" in desk and listed.count("data-complaint=") == 1


def test_the_overview_sorts_by_any_column_both_ways(client, login_as, city):
    login_as("dinas")
    order = []
    for arah in ("naik", "turun"):
        page = client.get("/kota", query_string={"urut": "program:PKH", "arah": arah}).text
        order.append(re.findall(r'data-kelurahan="(\d+)"', page))
        assert 'aria-sort="' + ("ascending" if arah == "naik" else "descending") in page
    assert order[0] == ["3273031002", "3273021003"] and order[1] == order[0][::-1]
    refreshed = client.get("/kota", query_string={"urut": "refreshed", "arah": "naik"}).text
    assert re.findall(r'data-kelurahan="(\d+)"', refreshed)[0] == "3273031002"  # the oldest
    unknown = client.get("/kota", query_string={"urut": "__class__"})
    assert unknown.status_code == 200  # an unknown column sorts by name


def test_kecamatan_sees_exactly_the_kelurahan_of_its_kecamatan(client, login_as, city):
    login_as("kecamatan")
    page = client.get("/kota").get_data(as_text=True)
    assert re.findall(r'data-kelurahan="(\d+)"', page) == ["3273021003"]
    assert "Lebakgede" not in page and "BPNT" not in page
    assert "Kecamatan Coblong (327302)" in page
    book = load_workbook(io.BytesIO(client.get("/kota/ringkasan.xlsx").data))
    codes = [row[0] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert codes == ["3273021003"]


def test_the_overview_exports_to_xlsx_in_the_order_shown(client, login_as, city):
    login_as("dinas")
    response = client.get("/kota/ringkasan.xlsx", query_string={"urut": "name", "arah": "turun"})
    assert (
        response.status_code == 200
        and "ringkasan-kelurahan.xlsx" in (response.headers["Content-Disposition"])
    )
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:4] == ("Kode Kemendagri", "Kelurahan", "Kecamatan", "Warga")
    assert "Penerima PKH" in header and "Pemutakhiran terlambat" in header
    assert [r[1] for r in rows[1:]] == ["Tamansari", "Lebakgede"]
    tamansari = dict(zip(header, rows[1], strict=True))
    assert tamansari["Penerima PKH"] == 2 and tamansari["Pengaduan terlambat"] == 1
    assert tamansari["Pemutakhiran terlambat"] == "Tidak"
    assert dict(zip(header, rows[2], strict=True))["Pemutakhiran terlambat"] == "Ya"


@pytest.mark.parametrize("role", ["staff", "volunteer", "other_staff"])
def test_the_overview_is_closed_to_kelurahan_accounts(client, login_as, world, role):
    login_as(role)
    assert client.get("/kota").status_code == 403
    assert client.get("/kota/ringkasan.xlsx").status_code == 403


@pytest.mark.parametrize("role", ["dinas", "kecamatan"])
def test_dinas_and_kecamatan_read_lists_and_exports_of_their_scope(
    client, login_as, city, app, role
):
    with app.app_context():
        pkh = db.session.scalar(sa.text("SELECT id FROM aid_program WHERE code = 'PKH'"))
        bpnt = db.session.scalar(sa.text("SELECT id FROM aid_program WHERE code = 'BPNT'"))
    login_as(role)
    assert client.get("/registri/kk").status_code == 200
    assert client.get(f"/kelola/sasaran/{pkh}").status_code == 200
    export = client.get(f"/kelola/sasaran/{pkh}/ekspor.xlsx")
    assert export.status_code == 200 and export.mimetype.endswith("sheet")
    other = client.get(f"/kelola/sasaran/{bpnt}").status_code
    assert other == (200 if role == "dinas" else 404)
    review = client.get(f"/kelola/sasaran/{pkh}").get_data(as_text=True)
    assert "Hitung ulang dengan aturan terbaru" not in review  # no write offered
    equity = client.get("/pemerataan", query_string={"kelurahan_id": city.other_kelurahan_id})
    assert equity.status_code == (200 if role == "dinas" else 404)
    assert "Ambil potret sekarang" not in equity.get_data(as_text=True)
    # The double-dipping report of their scope, on the page and as a workbook.
    report = client.get("/sanding/ganda")
    main = report.get_data(as_text=True).split("<main")[1].split("</main>")[0]
    assert report.status_code == 200 and 'method="post"' not in main.lower()
    workbook = client.get("/sanding/ganda.xlsx")
    assert workbook.status_code == 200 and workbook.mimetype.endswith("sheet")


def _url_for_rule(rule, ids: dict) -> str:
    url = rule.rule
    for argument in rule.arguments:
        value = "x" if "<" + argument + ">" in url or f":{argument}>" not in url else "1"
        if f"<int:{argument}>" in url:
            value = str(ids.get(argument, 1))
        url = re.sub(rf"<[^>]*\b{argument}>", value, url)
    return url


def _write_rules(app):
    for rule in app.url_map.iter_rules():
        methods = rule.methods - {"GET", "HEAD", "OPTIONS"}
        machine = rule.endpoint.split(".")[0] in _machine_blueprints()  # token scopes decide
        if methods and rule.endpoint not in OPEN_WRITES and not machine:
            yield rule, sorted(methods)[0]


@pytest.mark.parametrize("with_hook", [True, False], ids=["hook", "route-guards-alone"])
@pytest.mark.parametrize("role", ["dinas", "kecamatan"])
def test_no_write_route_accepts_dinas_or_kecamatan(app, client, login_as, city, role, with_hook):
    """Every POST route refuses them; without the one hook, each route's own guard still does
    (403, or 404 where the record is outside their scope)."""
    if not with_hook:
        app.before_request_funcs[None].remove(refuse_writes)
    with app.app_context():
        before = (
            db.session.scalar(sa.select(sa.func.count()).select_from(Person)),
            db.session.scalar(sa.select(sa.func.count()).select_from(User)),
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(AuditLog)
                .where(AuditLog.action != "security")
            ),
        )
    ids = {"household_id": city.household_ids["assigned"], "user_id": city.user_ids["volunteer"]}
    login_as(role)
    accepted = []
    for rule, method in _write_rules(app):
        response = client.open(_url_for_rule(rule, ids), method=method, data={"x": "1"})
        if response.status_code not in (403, 404):
            accepted.append((rule.rule, response.status_code))
    assert accepted == []
    with app.app_context():
        after = (
            db.session.scalar(sa.select(sa.func.count()).select_from(Person)),
            db.session.scalar(sa.select(sa.func.count()).select_from(User)),
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(AuditLog)
                .where(AuditLog.action != "security")
            ),
        )
    assert after == before


def test_dinas_may_change_their_own_password_and_sign_out(client, login_as, world):
    login_as("dinas")
    assert client.get("/akun/kata-sandi").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/kota").status_code == 302  # signed out: to the sign-in page


def test_admin_creates_dinas_and_kecamatan_accounts(client, login_as, world, app):
    login_as("admin")
    base = {"full_name": "Kepala Seksi", "password": "rahasia-panjang-1"}
    form = client.get("/admin/pengguna/baru").get_data(as_text=True)
    assert 'value="327302"' in form and 'value="dinas"' in form and 'value="kecamatan"' in form
    refused = client.post(
        "/admin/pengguna/baru", data={**base, "username": "camat.x", "role": "kecamatan"}
    )
    assert "Pilih kecamatan untuk akun Kecamatan." in refused.get_data(as_text=True)
    assert 'value="camat.x"' in refused.get_data(as_text=True)  # the typing is kept
    refused = client.post(
        "/admin/pengguna/baru",
        data={**base, "username": "dinas.x", "role": "dinas", "kelurahan_id": world.kelurahan_id},
    )
    assert "kosongkan kelurahan" in refused.get_data(as_text=True)
    ok = client.post(
        "/admin/pengguna/baru",
        data={**base, "username": "camat.x", "role": "kecamatan", "kecamatan_code": "327302"},
    )
    assert ok.status_code == 302
    ok = client.post("/admin/pengguna/baru", data={**base, "username": "dinas.x", "role": "dinas"})
    assert ok.status_code == 302
    with app.app_context():
        camat = db.session.scalar(sa.select(User).where(User.username == "camat.x"))
        dinas = db.session.scalar(sa.select(User).where(User.username == "dinas.x"))
        assert (camat.role, camat.kecamatan_code, camat.kelurahan_id) == (
            "kecamatan",
            "327302",
            None,
        )
        assert (dinas.role, dinas.kecamatan_code, dinas.kelurahan_id) == ("dinas", None, None)


def test_the_database_refuses_a_kecamatan_account_without_a_kecamatan(app, world):
    with app.app_context():
        db.session.add(
            User(username="x", full_name="X", role="kecamatan", password_hash="x", active=True)
        )
        with pytest.raises(sa.exc.IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_users_create_cli_makes_a_kecamatan_account(runner, world, app):
    result = runner.invoke(
        args=[
            "users", "create", "--username", "camat.cli", "--name", "Camat",
            "--role", "kecamatan", "--kecamatan", "32.73.02", "--password", "rahasia-panjang-1",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "camat.cli"))
        assert user.kecamatan_code == "327302"


def test_dinas_filters_the_household_list_by_kelurahan_and_sees_its_name(
    client, login_as, world, app
):
    with app.app_context():
        other_kk = db.session.get(Household, world.household_ids["other"]).kk_number
        ours_kk = db.session.get(Household, world.household_ids["assigned"]).kk_number
    login_as("dinas")
    page = client.get("/registri/kk").get_data(as_text=True)
    assert other_kk in page and ours_kk in page and ">Lebakgede</td>" in page
    only = client.get("/registri/kk", query_string={"kelurahan": world.other_kelurahan_id}).text
    assert other_kk in only and ours_kk not in only
    huge = client.get("/registri/kk", query_string={"kelurahan": 2**40})
    assert huge.status_code == 200  # an id no column holds filters nothing out, never a 500
    client.post("/logout")
    login_as("kecamatan")
    outside = client.get("/registri/kk", query_string={"kelurahan": world.other_kelurahan_id})
    assert other_kk not in outside.text  # the filter never widens the scope


def _enroll_one_more(app, world):
    with app.app_context():
        bpnt = db.session.scalar(sa.select(AidProgram).where(AidProgram.code == "BPNT"))
        household = factories.make_household(
            db.session,
            factories.rt_of(db.session.get(Kelurahan, world.other_kelurahan_id), 1, 1),
            members=[{"name": "WARGA BARU", "relation": "kepala"}],
        )
        factories.enroll(db.session, bpnt, household)
        db.session.commit()


def test_residents_and_recipients_are_read_from_counts_stored_with_their_time(
    client, login_as, city, app, runner
):
    login_as("dinas")
    page = client.get("/kota").get_data(as_text=True)
    assert "Angka warga dan penerima per" in page
    with app.app_context():
        stored = dict(
            db.session.execute(
                sa.select(KelurahanFigures.kelurahan_id, KelurahanFigures.residents)
            ).all()
        )
    assert stored == {city.kelurahan_id: 2, city.other_kelurahan_id: 1}
    _enroll_one_more(app, city)  # a change no refresh made: shown at the next count
    lebakgede = _row(client.get("/kota").get_data(as_text=True), "3273031002")
    assert _cell(lebakgede, "residents") == "1" and _cell(lebakgede, "program-BPNT") == "1"
    result = runner.invoke(args=["city", "recount"])
    assert result.exit_code == 0 and "2 kelurahan" in result.output
    lebakgede = _row(client.get("/kota").get_data(as_text=True), "3273031002")
    assert _cell(lebakgede, "residents") == "2" and _cell(lebakgede, "program-BPNT") == "2"


def test_the_queue_recounts_every_kelurahan(app, city, client, login_as):
    from nutera import queue

    login_as("dinas")
    client.get("/kota")
    _enroll_one_more(app, city)
    queue.get_queue(app).tasks["nutera.scheduled.recount_city_figures"]()  # immediate mode
    lebakgede = _row(client.get("/kota").get_data(as_text=True), "3273031002")
    assert _cell(lebakgede, "residents") == "2" and _cell(lebakgede, "program-BPNT") == "2"


def test_a_refresh_commit_and_revert_recount_their_kelurahan(app, world, tmp_path):
    from nutera.audit import Actor
    from nutera.city import figures
    from nutera.refresh import commit, revert

    with app.app_context():
        tamansari = db.session.get(Kelurahan, world.kelurahan_id)
        figures.recount(db.session, utcnow())
        db.session.commit()
        before = db.session.get(KelurahanFigures, tamansari.id).residents
        rows = [
            [factories.make_nik(date(1990 + i, 1, 2), "L"), factories.make_kk(serial=8100 + i)]
            + [f"WARGA {i}", "L", f"02/01/{1990 + i}", "Jl. Uji", "001", "001", ""]
            for i in range(3)
        ]
        path = write_csv(tmp_path / "baru.csv", rows)
        refresh = staging.create_refresh(db.session, tamansari.id, None, "DTKS", path, path.name)
        staging.analyse(db.session, refresh)
        db.session.commit()
        commit.commit_refresh(db.session, refresh, Actor(None, "cli"))
        db.session.commit()
        figures_row = db.session.get(KelurahanFigures, tamansari.id)
        db.session.refresh(figures_row)
        assert figures_row.residents == before + 3
        revert.revert_refresh(db.session, refresh, Actor(None, "cli"))
        db.session.commit()
        db.session.refresh(figures_row)
        assert figures_row.residents == before


def test_an_older_count_never_overwrites_a_newer_one(app, world):
    """The 15-minute recount counts, then a refresh commit recounts its kelurahan and commits,
    then the recount's older figures land: the newer ones stay."""
    with app.app_context():
        t0 = utcnow()
        kelurahan = db.session.get(Kelurahan, world.kelurahan_id)
        figures.recount(db.session, t0 - timedelta(minutes=15))
        db.session.commit()
        before = db.session.get(KelurahanFigures, world.kelurahan_id).residents
        held = []
        write = figures._upsert
        figures._upsert = lambda session, rows: held.append(rows)
        try:
            figures.recount(db.session, t0)  # counted at t0, not written yet
        finally:
            figures._upsert = write
        factories.make_household(db.session, factories.rt_of(kelurahan, 1, 1))
        figures.recount(db.session, t0 + timedelta(seconds=5), [world.kelurahan_id])
        db.session.commit()
        write(db.session, held[0])
        db.session.commit()
        db.session.expire_all()
        row = db.session.get(KelurahanFigures, world.kelurahan_id)
        assert row.residents == before + 1
        assert as_utc(row.counted_at) == t0 + timedelta(seconds=5)


def test_the_hook_passes_machine_clients_only_not_the_pages_managing_them(app):
    """Token-authenticated API calls are decided by their scopes; the staff pages under
    /kelola/api-klien are ordinary pages and stay behind the hook."""
    machine = _machine_blueprints()
    assert "api_token" in machine and "api_status" in machine
    assert "api_clients" not in machine and "api_docs" not in machine
