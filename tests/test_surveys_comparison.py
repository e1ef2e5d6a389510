"""What staff are told about a survey against the registry."""

from datetime import date

from nutera.extensions import db
from nutera.models import Household, Kelurahan, SurveyMember, User
from nutera.surveys.comparison import compare
from tests.factories import make_person, rt_of
from tests.factories_surveys import make_survey


def test_differences_are_listed_in_words(app_ctx, world):
    household = db.session.get(Household, world.household_ids["assigned"])
    siti = household.members[0]
    siti.monthly_income = 500_000
    ahmad = make_person(db.session, household, "AHMAD", birth_date=date(2005, 6, 1))
    gone = make_person(
        db.session, household, "NENEK", sex="P", birth_date=date(1950, 1, 2), relation="orang_tua"
    )
    volunteer = db.session.get(User, world.user_ids["volunteer"])
    kelurahan = db.session.get(Kelurahan, world.kelurahan_id)
    survey = make_survey(
        db.session, volunteer, rt_of(kelurahan, 1, 2), kk=household.kk_number, members=0
    )
    survey.members = [
        SurveyMember(
            position=0,
            nik=siti.nik,
            name="SITI AMINAH BINTI ALI",
            relation="kepala",
            sex="P",
            birth_date=siti.birth_date,
            monthly_income=900_000,
        ),
        SurveyMember(
            position=1,
            nik=ahmad.nik,
            name="AHMAD",
            relation="anak",
            sex="L",
            birth_date=ahmad.birth_date,
            presence="pindah",
        ),
        SurveyMember(
            position=2,
            nik=None,
            has_ktp=False,
            name="BAYI",
            relation="anak",
            sex="L",
            birth_date=date(2026, 8, 1),
        ),
    ]
    db.session.flush()

    comparison = compare(db.session, survey, volunteer)
    texts = {f.kind: f.text for f in comparison.findings}
    assert texts["rt_changed"] == "Beda RT: registri RT 01/RW 01, survei RT 02/RW 01."
    assert texts["name_changed"] == "Nama berubah: SITI AMINAH → SITI AMINAH BINTI ALI."
    assert (
        texts["income_changed"]
        == "Penghasilan SITI AMINAH BINTI ALI berubah: Rp 500.000 → Rp 900.000."
    )
    assert texts["moved"] == "AHMAD: Sudah pindah (registri: Tinggal di sini)."
    assert texts["member_gone"] == "Anggota di registri tidak ada di survei: NENEK."
    assert texts["new_member"] == "Anggota baru: BAYI."
    assert texts["no_nik"] == "BAYI tercatat tanpa KTP/NIK."
    assert [p.id for p in comparison.gone] == [gone.id]
    assert comparison.flag_count == 1  # only the member without NIK needs a careful look
    assert ("RT/RW", "RT 01/RW 01", "RT 02/RW 01", True) in comparison.household_rows


def test_deceased_member_is_reported(app_ctx, world):
    household = db.session.get(Household, world.household_ids["assigned"])
    siti = household.members[0]
    volunteer = db.session.get(User, world.user_ids["volunteer"])
    survey = make_survey(db.session, volunteer, household.rt, kk=household.kk_number, members=0)
    survey.members = [
        SurveyMember(
            position=0,
            nik=siti.nik,
            name=siti.name,
            relation="kepala",
            sex="P",
            birth_date=siti.birth_date,
            presence="meninggal",
        )
    ]
    db.session.flush()
    kinds = [f.kind for f in compare(db.session, survey).findings]
    assert "deceased" in kinds and "member_gone" not in kinds
