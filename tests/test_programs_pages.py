"""Public program pages, self-check, statistics, and staff editing of pages and rules."""

import sqlalchemy as sa

from nutera.extensions import db
from nutera.models import AidProgram, AuditLog, Kelurahan, ProgramInfo, ProgramRule
from nutera.programs import services
from tests import factories
from tests.factories_programs import program_with_rule


def _tamansari(world):
    return db.session.get(Kelurahan, world.kelurahan_id)


def _programs(app, world, *codes):
    with app.app_context():
        ids = {code: program_with_rule(db.session, _tamansari(world), code).id for code in codes}
        db.session.commit()
        return ids


def test_several_kelurahan_ask_which_one_then_list_side_by_side(app, client, world):
    _programs(app, world, "BPNT", "PKH")
    chooser = client.get("/program").get_data(as_text=True)
    assert "Pilih kelurahan" in chooser and 'value="3273021003"' in chooser
    page = client.get("/program?kel=3273021003").get_data(as_text=True)
    assert 'data-program-card="BPNT"' in page and 'data-program-card="PKH"' in page
    assert "Manfaat BPNT" in page
    assert "Penghasilan per kapita paling banyak Rp 1.300.000 (UMR Kota Bandung)" in page
    assert client.get("/program?kel=0000").status_code == 404


def test_single_kelurahan_needs_no_selector(app, client):
    with app.app_context():
        kelurahan = factories.make_kelurahan(db.session, "3273021003", "Tamansari")
        program_with_rule(db.session, kelurahan, "PKH")
        db.session.commit()
    page = client.get("/program/pkh").get_data(as_text=True)
    assert "Program PKH" in page and "Tiap bulan" in page and "Kantor kelurahan" in page
    assert "<li>Penghasilan rendah</li>" in page
    assert client.get("/program/TIDAKADA").status_code == 404


def test_inactive_program_is_not_public(app, client, world):
    ids = _programs(app, world, "BST")
    with app.app_context():
        db.session.get(AidProgram, ids["BST"]).active = False
        db.session.commit()
    assert client.get("/program/BST?kel=3273021003").status_code == 404
    assert "BST" not in client.get("/program?kel=3273021003").get_data(as_text=True)


def test_staff_edit_sanitises_rich_text_and_render_never_trusts_it(app, client, world, login_as):
    ids = _programs(app, world, "PKH")
    login_as("staff")
    response = client.post(
        f"/kelola/program/{ids['PKH']}",
        data={
            "name": "Program Keluarga Harapan",
            "benefit": "<b>Uang</b> tunai",
            "criteria_html": '<p onclick="x()">Syarat <strong>penting</strong></p>'
            "<script>alert(1)</script>"
            '<a href="javascript:alert(1)">klik</a><a href="https://kemensos.go.id">info</a>',
            "documents_html": "<ul><li>KTP</li></ul><img src=x onerror=alert(1)>",
            "active": "y",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        info = db.session.scalar(
            sa.select(ProgramInfo).where(ProgramInfo.program_id == ids["PKH"])
        )
        assert "<script" not in info.criteria_html and "onclick" not in info.criteria_html
        assert "javascript:" not in info.criteria_html and "<img" not in info.documents_html
        assert (
            '<a href="https://kemensos.go.id" rel="noopener noreferrer">info</a>'
            in info.criteria_html
        )
        # Even if someone writes raw HTML into the database, the page sanitises it again.
        info.criteria_html = '<p>aman</p><script>alert("db")</script>'
        db.session.commit()
    page = client.get("/program/PKH?kel=3273021003").get_data(as_text=True)
    assert "<p>aman</p>" in page and 'alert("db")' not in page
    assert "&lt;b&gt;Uang&lt;/b&gt; tunai" in page  # plain fields are escaped


def test_other_kelurahan_staff_gets_404_and_volunteer_403(app, client, world, auth):
    ids = _programs(app, world, "PKH")
    auth.login(world.usernames["other_staff"])
    assert client.get(f"/kelola/program/{ids['PKH']}").status_code == 404
    assert client.get(f"/kelola/program/{ids['PKH']}/aturan").status_code == 404
    auth.logout()
    auth.login(world.usernames["volunteer"])
    assert client.get(f"/kelola/program/{ids['PKH']}").status_code == 403


def _rule_form(mode="all", rows=(), note=""):
    data = {"mode": mode, "note": note}
    for i, (group, attr, op, value) in enumerate(rows):
        data.update(
            {
                f"rows-{i}-group": group,
                f"rows-{i}-attr": attr,
                f"rows-{i}-op": op,
                f"rows-{i}-value": value,
            }
        )
    return data


def test_rule_editor_saves_a_new_version_with_who_and_audit(app, client, world, login_as):
    ids = _programs(app, world, "BST")
    login_as("staff")
    page = client.get(f"/kelola/program/{ids['BST']}/aturan").get_data(as_text=True)
    assert 'value="UMR"' in page  # the current version is loaded into the rows
    response = client.post(
        f"/kelola/program/{ids['BST']}/aturan",
        data=_rule_form(
            "all",
            [
                ("", "income_per_capita", "lt", "UMR"),
                ("", "has_asn_tni_polri", "eq", "tidak"),
                ("A", "head_occupation", "in", "Pedagang kecil, buruh harian"),
                ("A", "floor", "in", "Tanah, kayu"),
                ("", "electricity_va", "le", "1.300"),
            ],
            note="musyawarah November",
        ),
    )
    assert response.status_code == 302
    with app.app_context():
        versions = db.session.scalars(
            sa.select(ProgramRule)
            .where(ProgramRule.program_id == ids["BST"])
            .order_by(ProgramRule.version)
        ).all()
        assert [v.version for v in versions] == [1, 2]
        assert versions[1].created_by_id == world.user_ids["staff"]
        assert versions[1].note == "musyawarah November"
        assert versions[1].tree == {
            "all": [
                {"attr": "income_per_capita", "op": "lt", "value": {"setting": "umr"}},
                {"attr": "has_asn_tni_polri", "op": "eq", "value": False},
                {"attr": "electricity_va", "op": "le", "value": 1300},
                {
                    "any": [
                        {
                            "attr": "head_occupation",
                            "op": "in",
                            "value": ["pedagang kecil", "buruh harian"],
                        },
                        {"attr": "floor", "op": "in", "value": ["tanah", "kayu"]},
                    ]
                },
            ]
        }
        assert versions[0].tree != versions[1].tree  # the old version is kept as it was
        audit = db.session.scalar(
            sa.select(AuditLog).where(
                AuditLog.entity == "program_rule", AuditLog.entity_id == versions[1].id
            )
        )
        assert audit.user_id == world.user_ids["staff"] and audit.action == "create"
    history = client.get(f"/kelola/program/{ids['BST']}/aturan").get_data(as_text=True)
    assert "Versi 2" in history and "Petugas" in history and "musyawarah November" in history


def test_rule_editor_shows_errors_next_to_rows_and_keeps_input(app, client, world, login_as):
    ids = _programs(app, world, "BST")
    login_as("staff")
    response = client.post(
        f"/kelola/program/{ids['BST']}/aturan",
        data=_rule_form(
            "any",
            [
                ("", "income_per_capita", "lt", "satu juta"),
                ("", "floor", "eq", "marmer"),
                ("", "has_disability", "lt", "ya"),
            ],
        ),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Isi dengan angka, misalnya 1.300.000." in page
    assert "Pilih salah satu: Keramik/ubin, Semen, Kayu/papan, Tanah." in page
    assert "gunakan pembanding &#39;sama dengan&#39;" in page
    assert 'value="satu juta"' in page and 'value="marmer"' in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ProgramRule.id))) == 1


def test_staff_adds_a_program_and_sets_the_umr(app, client, world, login_as):
    login_as("staff")
    response = client.post(
        "/kelola/program",
        data={
            "new-code": "bansos-rt",
            "new-name": "Bansos RT",
            "new-target": "person",
            "new-submit": "1",
        },
    )
    assert response.status_code == 302
    duplicate = client.post(
        "/kelola/program",
        data={
            "new-code": "BANSOS-RT",
            "new-name": "Lagi",
            "new-target": "person",
            "new-submit": "1",
        },
    )
    assert "Kode ini sudah dipakai" in duplicate.get_data(as_text=True)
    client.post("/kelola/program", data={"umr-amount": "Rp 4.482.914", "umr-submit_umr": "1"})
    with app.app_context():
        program = db.session.scalar(sa.select(AidProgram).where(AidProgram.code == "BANSOS-RT"))
        assert program.kelurahan_id == world.kelurahan_id and program.target == "person"
        assert services.settings_for(db.session, world.kelurahan_id) == {"umr": 4_482_914}
        assert services.settings_for(db.session, world.other_kelurahan_id) == {"umr": None}


def test_self_check_explains_each_program_and_stores_nothing(app, client, world):
    _programs(app, world, "BPNT", "PKH")
    with app.app_context():
        before = {
            t.name: db.session.execute(sa.select(sa.func.count()).select_from(t)).scalar()
            for t in db.metadata.sorted_tables
        }
    page = client.post(
        "/cek-syarat?kel=3273021003",
        data={"anggota": "4", "penghasilan": "3.000.000", "asn": "tidak", "lansia": "ya"},
    ).get_data(as_text=True)
    assert 'data-result="BPNT"' in page and "Mungkin memenuhi" in page
    assert "memenuhi: penghasilan per kapita Rp 750.000 tidak melebihi batas Rp 1.300.000" in page
    page = client.post(
        "/cek-syarat?kel=3273021003",
        data={"anggota": "2", "penghasilan": "3.800.000", "asn": "tidak"},
    ).get_data(as_text=True)
    assert "tidak memenuhi: penghasilan per kapita Rp 1.900.000 di atas batas Rp 1.300.000" in page
    page = client.post("/cek-syarat?kel=3273021003", data={"anggota": "2"}).get_data(as_text=True)
    assert "Belum dapat dipastikan" in page and "penghasilan per kapita belum tercatat" in page
    with app.app_context():
        after = {
            t.name: db.session.execute(sa.select(sa.func.count()).select_from(t)).scalar()
            for t in db.metadata.sorted_tables
        }
    assert before == after


def test_self_check_shows_input_errors_next_to_fields(app, client, world):
    _programs(app, world, "BPNT")
    page = client.post(
        "/cek-syarat?kel=3273021003", data={"anggota": "nol", "penghasilan": "banyak"}
    ).get_data(as_text=True)
    assert "Isi jumlah anggota keluarga (1-30)." in page
    assert "Isi dengan angka, misalnya 2.500.000, atau kosongkan." in page
    assert 'value="banyak"' in page and "self-check-results" not in page


def test_statistics_never_show_small_counts_of_recipients(app, client, world):
    with app.app_context():
        kelurahan = _tamansari(world)
        pkh = factories.make_program(db.session, kelurahan, "PKH")
        bst = factories.make_program(db.session, kelurahan, "BST", target="person")
        anyone = {"all": []}
        services.save_rule(db.session, pkh, anyone, None)
        services.save_rule(db.session, bst, anyone, None)
        for rw, rt, status in [
            (1, 1, "aktif"),
            (1, 2, "aktif"),
            (2, 1, "aktif"),
            (2, 1, "berakhir"),
        ]:
            factories.enroll(
                db.session,
                pkh,
                factories.make_household(db.session, factories.rt_of(kelurahan, rw, rt)),
                status=status,
            )
        household = factories.make_household(db.session, factories.rt_of(kelurahan, 2, 1))
        db.session.add(
            factories.Enrollment(
                kelurahan_id=kelurahan.id,
                program_id=bst.id,
                person_id=household.members[0].id,
                period_start=factories.date(2026, 1, 1),
            )
        )
        db.session.commit()
    page = client.get("/statistik?kel=3273021003").get_data(as_text=True)
    # 3 PKH and 1 BST recipients: every count is below five.
    assert 'data-stat-program="PKH">&lt;5<' in page and 'data-stat-program="BST">&lt;5<' in page
    assert 'data-rw="1"><td>RW 01</td><td class="text-end">&lt;5</td>' in page
    assert "chart.umd.min.js" in page and "rw-chart.js" in page


def test_cli_installs_defaults_once(app, runner, world):
    with app.app_context():
        for code in ("PKH", "BPNT", "BST", "ATM-BERAS"):
            factories.make_program(db.session, _tamansari(world), code)
        db.session.commit()
    result = runner.invoke(args=["programs", "defaults", "3273021003"])
    assert result.exit_code == 0 and "4 program" in result.output
    assert "0 program" in runner.invoke(args=["programs", "defaults", "3273021003"]).output
    with app.app_context():
        assert services.settings_for(db.session, world.kelurahan_id)["umr"] == services.DEFAULT_UMR
    assert runner.invoke(args=["programs", "defaults", "999"]).exit_code != 0


def test_staff_manage_page_lists_only_own_programs_with_links(app, client, world, login_as):
    ids = _programs(app, world, "PKH")
    with app.app_context():
        factories.make_program(
            db.session, db.session.get(Kelurahan, world.other_kelurahan_id), "LAIN"
        )
        db.session.commit()
    login_as("staff")
    page = client.get("/kelola/program").get_data(as_text=True)
    assert "PKH" in page and "LAIN" not in page
    assert (
        f"/kelola/program/{ids['PKH']}/aturan" in page and f"/kelola/sasaran/{ids['PKH']}" in page
    )
    assert 'value="1300000"' in page  # the current UMR
    assert "Kelola halaman program" in client.get("/dasbor").get_data(as_text=True)
