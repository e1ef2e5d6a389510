"""Targeting review on hand-made households: candidates, explanations, decisions, export."""

import io
from datetime import date

import sqlalchemy as sa
from python_calamine import CalamineWorkbook

from nutera.extensions import db
from nutera.models import AuditLog, Kelurahan, Person, TargetingCase
from nutera.targeting.services import find_candidates, sync_cases
from tests import factories
from tests.factories_programs import TODAY, program_with_rule, surveyed_household

PERSON_RULE = {
    "all": [
        {"attr": "has_ktp", "op": "eq", "value": True},
        {"attr": "income_per_capita", "op": "le", "value": {"setting": "umr"}},
    ]
}


def _setup(session, world):
    """BPNT (household) in Tamansari with one household of every interesting kind."""
    kelurahan = session.get(Kelurahan, world.kelurahan_id)
    program = program_with_rule(session, kelurahan, "BPNT")
    rt11, rt12, rt21 = (
        factories.rt_of(kelurahan, 1, 1),
        factories.rt_of(kelurahan, 1, 2),
        factories.rt_of(kelurahan, 2, 1),
    )
    head = {"name": "KEPALA", "relation": "kepala"}
    built = {
        # Poor and not enrolled: exclusion error.
        "poor": surveyed_household(
            session,
            rt11,
            [
                {**head, "monthly_income": 1_800_000},
                {"name": "ISTRI", "relation": "istri", "sex": "P"},
            ],
        ),
        # Poor and enrolled: fine.
        "poor_enrolled": surveyed_household(session, rt12, [{**head, "monthly_income": 900_000}]),
        # Enrolled but earning Rp 1.900.000 per capita: inclusion error.
        "rich_enrolled": surveyed_household(
            session,
            rt21,
            [
                {**head, "monthly_income": 3_800_000},
                {"name": "ISTRI", "relation": "istri", "sex": "P"},
            ],
        ),
        # Enrolled, no income recorded, head deceased: inclusion error from the death alone.
        "dead_head": surveyed_household(
            session,
            rt11,
            [{**head, "status": "meninggal"}, {"name": "ISTRI", "relation": "istri", "sex": "P"}],
        ),
        # Not enrolled, no income recorded: unknown, not a candidate.
        "unknown": surveyed_household(session, rt11, [head]),
        # Poor but an ASN member: not eligible, not enrolled: nothing.
        "asn": surveyed_household(
            session, rt11, [{**head, "monthly_income": 500_000, "is_asn_tni_polri": True}]
        ),
    }
    for key in ("poor_enrolled", "rich_enrolled", "dead_head"):
        factories.enroll(session, program, built[key])
    return program, {k: h.id for k, h in built.items()}


def test_candidates_on_hand_made_households(app_ctx, world):
    program, ids = _setup(db.session, world)
    found = {
        (c.kind, c.household_id): c.explanation
        for c in find_candidates(db.session, program, TODAY)
    }
    assert found == {
        (
            "exclusion",
            ids["poor"],
        ): "memenuhi: penghasilan per kapita Rp 900.000 tidak melebihi batas Rp 1.300.000; "
        "memenuhi: tidak ada anggota keluarga ASN/TNI/POLRI",
        (
            "inclusion",
            ids["rich_enrolled"],
        ): "tidak memenuhi: penghasilan per kapita Rp 1.900.000 di atas batas Rp 1.300.000",
        ("inclusion", ids["dead_head"]): "kepala keluarga sudah meninggal",
    }


def test_candidates_in_small_chunks_and_filtered_by_rt(app_ctx, world):
    program, ids = _setup(db.session, world)
    everything = {c.key for c in find_candidates(db.session, program, TODAY)}
    assert {c.key for c in find_candidates(db.session, program, TODAY, size=2)} == everything
    kelurahan = db.session.get(Kelurahan, world.kelurahan_id)
    rw2 = [factories.rt_of(kelurahan, 2, 1).id]
    assert [c.household_id for c in find_candidates(db.session, program, TODAY, rt_ids=rw2)] == [
        ids["rich_enrolled"]
    ]


def test_candidates_use_a_few_queries_per_chunk_not_one_per_household(app_ctx, world):
    program, _ = _setup(db.session, world)
    rt = factories.rt_of(db.session.get(Kelurahan, world.kelurahan_id), 1, 1)
    for _ in range(30):
        surveyed_household(
            db.session, rt, [{"name": "A B", "relation": "kepala", "monthly_income": 100_000}]
        )
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        candidates = list(find_candidates(db.session, program, TODAY, size=1000))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert len(candidates) == 33  # 30 new poor households + poor, rich_enrolled, dead_head
    assert len(statements) <= 8, statements


def test_person_program_flags_deceased_recipient_and_member_without_ktp(app_ctx, world):
    kelurahan = db.session.get(Kelurahan, world.kelurahan_id)
    program = program_with_rule(db.session, kelurahan, "BST-P", tree=PERSON_RULE, target="person")
    household = surveyed_household(
        db.session,
        factories.rt_of(kelurahan, 1, 1),
        [
            {"name": "AYAH", "relation": "kepala", "monthly_income": 1_000_000},
            {
                "name": "ANAK TANPA KTP",
                "relation": "anak",
                "has_ktp": False,
                "birth_date": date(2007, 1, 1),
            },
            {
                "name": "NENEK",
                "relation": "orang_tua",
                "status": "meninggal",
                "sex": "P",
                "birth_date": date(1940, 1, 1),
            },
        ],
    )
    ayah, anak, nenek = household.members
    db.session.add(
        factories.Enrollment(
            kelurahan_id=kelurahan.id,
            program_id=program.id,
            person_id=nenek.id,
            period_start=date(2026, 1, 1),
        )
    )
    db.session.flush()
    found = {
        (c.kind, c.person_id): c.explanation for c in find_candidates(db.session, program, TODAY)
    }
    assert found[("exclusion", ayah.id)].startswith("memenuhi: memiliki KTP")
    assert ("exclusion", anak.id) not in found
    assert found[("inclusion", nenek.id)].startswith("penerima sudah meninggal")


def test_sync_then_decide_records_who_and_why(app, client, world, login_as):
    with app.app_context():
        program, ids = _setup(db.session, world)
        # A rebuttal from the complaint box (another feature) must show up in the same list.
        db.session.add(
            TargetingCase(
                kelurahan_id=world.kelurahan_id,
                program_id=program.id,
                household_id=ids["unknown"],
                kind="exclusion",
                source="sanggah",
                source_ref="ADU-0001",
                explanation="Warga menyatakan berhak",
            )
        )
        db.session.commit()
        program_id = program.id
    login_as("staff")
    response = client.post(f"/kelola/sasaran/{program_id}/hitung")
    assert response.status_code == 302
    page = client.get(f"/kelola/sasaran/{program_id}").get_data(as_text=True)
    assert "4 kasus" in page and "Sanggahan warga" in page and "Warga menyatakan berhak" in page
    assert "Rp 1.900.000 di atas batas Rp 1.300.000" in page
    assert "kepala keluarga sudah meninggal" in page
    rw2 = client.get(f"/kelola/sasaran/{program_id}?rw=2").get_data(as_text=True)
    assert "1 kasus" in rw2 and "Rp 1.900.000" in rw2
    with app.app_context():
        case = db.session.scalar(
            sa.select(TargetingCase).where(TargetingCase.household_id == ids["rich_enrolled"])
        )
        case_id = case.id
    form = client.get(f"/kelola/sasaran/kasus/{case_id}").get_data(as_text=True)
    assert 'value="usul_hapus" selected' in form or '<option selected value="usul_hapus"' in form
    empty = client.post(
        f"/kelola/sasaran/kasus/{case_id}", data={"decision": "usul_hapus", "reason": ""}
    )
    assert "Tuliskan alasan keputusan." in empty.get_data(as_text=True)
    client.post(
        f"/kelola/sasaran/kasus/{case_id}",
        data={"decision": "usul_hapus", "reason": "Sudah bekerja tetap"},
    )
    with app.app_context():
        case = db.session.get(TargetingCase, case_id)
        assert (case.decision, case.decision_reason, case.decided_by_id) == (
            "usul_hapus",
            "Sudah bekerja tetap",
            world.user_ids["staff"],
        )
        assert case.decided_at is not None
        assert (
            db.session.scalar(
                sa.select(sa.func.count(AuditLog.id)).where(
                    AuditLog.entity == "targeting_case",
                    AuditLog.entity_id == case_id,
                    AuditLog.action == "update",
                )
            )
            == 1
        )
        # The household gets richer still: recomputation keeps the decided case as decided.
        person = db.session.scalar(
            sa.select(Person).where(
                Person.household_id == ids["poor"], Person.relation == "kepala"
            )
        )
        person.monthly_income = 9_000_000
        db.session.commit()
    client.post(f"/kelola/sasaran/{program_id}/hitung")
    with app.app_context():
        cases = db.session.execute(
            sa.select(TargetingCase.household_id, TargetingCase.source, TargetingCase.decision)
        ).all()
        assert sorted(cases) == sorted(
            [
                (ids["rich_enrolled"], "aturan", "usul_hapus"),
                (ids["dead_head"], "aturan", "terbuka"),
                (ids["unknown"], "sanggah", "terbuka"),
            ]
        )


def test_export_is_an_xlsx_with_kk_as_text(app, client, world, login_as):
    with app.app_context():
        program, ids = _setup(db.session, world)
        user = db.session.get(factories.User, world.user_ids["staff"])
        sync_cases(db.session, program, user, TODAY)
        db.session.commit()
        program_id = program.id
        kk = db.session.get(factories.Household, ids["rich_enrolled"]).kk_number
    login_as("staff")
    response = client.get(f"/kelola/sasaran/{program_id}/ekspor.xlsx?kind=inclusion")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    rows = (
        CalamineWorkbook.from_filelike(io.BytesIO(response.data)).get_sheet_by_index(0).to_python()
    )
    assert rows[0][:4] == ["No", "RW", "RT", "Nomor KK"]
    assert len(rows) == 3
    kk_cells = [row[3] for row in rows[1:]]
    assert kk in kk_cells and all(isinstance(cell, str) for cell in kk_cells)


def test_review_is_scoped_to_the_kelurahan(app, client, world, auth):
    with app.app_context():
        program, _ = _setup(db.session, world)
        db.session.commit()
        program_id = program.id
    auth.login(world.usernames["other_staff"])
    assert client.get(f"/kelola/sasaran/{program_id}").status_code == 404
    assert client.post(f"/kelola/sasaran/{program_id}/hitung").status_code == 404
    assert client.get(f"/kelola/sasaran/{program_id}/ekspor.xlsx").status_code == 404


def test_review_filters_survive_paging_links_and_odd_query_args(app, client, world, login_as):
    with app.app_context():
        program, _ = _setup(db.session, world)
        db.session.commit()
        program_id = program.id
    login_as("staff")
    response = client.get(f"/kelola/sasaran/{program_id}?rw=1&kind=bogus&program_id=9")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"/kelola/sasaran/{program_id}/ekspor.xlsx?rw=1" in page
