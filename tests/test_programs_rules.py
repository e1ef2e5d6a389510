"""The eligibility engine on hand-made attributes: outcomes and Indonesian explanations."""

from datetime import date
from types import SimpleNamespace

import pytest

from nutera.programs import rules
from nutera.programs.attributes import age_on, household_context, inclusion_flags, person_context

TODAY = date(2026, 11, 1)
SETTINGS = {"umr": 1_300_000}
POOR = {"attr": "income_per_capita", "op": "le", "value": {"setting": "umr"}}
NOT_ASN = {"attr": "has_asn_tni_polri", "op": "eq", "value": False}


def member(
    pid=1,
    relation="kepala",
    status="hidup",
    birth=date(1980, 1, 1),
    income=None,
    occupation=None,
    disability=None,
    asn=False,
    ktp=True,
    residence="tetap",
):
    return SimpleNamespace(
        id=pid,
        relation=relation,
        status=status,
        birth_date=birth,
        monthly_income=income,
        occupation=occupation,
        disability=disability,
        is_asn_tni_polri=asn,
        has_ktp=ktp,
        residence=residence,
    )


HOUSE = SimpleNamespace(
    ownership="sewa",
    floor="semen",
    wall="tembok",
    roof="seng",
    water_source="pdam",
    toilet="bersama",
    electricity_va=900,
)


def test_income_above_the_limit_explains_itself_in_rupiah():
    context = household_context(HOUSE, [member(income=3_800_000), member(2, "istri")], TODAY)
    assert context["income_per_capita"] == 1_900_000
    verdict = rules.evaluate({"all": [POOR, NOT_ASN]}, context, SETTINGS)
    assert verdict.eligible is False
    assert verdict.reasons == [
        "tidak memenuhi: penghasilan per kapita Rp 1.900.000 di atas batas Rp 1.300.000"
    ]


def test_eligible_household_lists_every_met_condition():
    context = household_context(
        HOUSE,
        [member(income=2_000_000), member(2, "istri"), member(3, "anak", birth=date(2015, 5, 5))],
        TODAY,
    )
    verdict = rules.evaluate({"all": [POOR, NOT_ASN]}, context, SETTINGS)
    assert verdict.eligible is True
    assert verdict.reasons == [
        "memenuhi: penghasilan per kapita Rp 666.667 tidak melebihi batas Rp 1.300.000",
        "memenuhi: tidak ada anggota keluarga ASN/TNI/POLRI",
    ]


def test_no_income_recorded_is_unknown_not_zero():
    context = household_context(HOUSE, [member(), member(2, "istri")], TODAY)
    assert context["income_per_capita"] is None
    verdict = rules.evaluate({"all": [POOR, NOT_ASN]}, context, SETTINGS)
    assert verdict.eligible is None
    assert verdict.reasons == ["belum diketahui: penghasilan per kapita belum tercatat"]


def test_a_failed_condition_decides_even_when_another_is_unknown():
    context = household_context(HOUSE, [member(asn=True)], TODAY)
    verdict = rules.evaluate({"all": [POOR, NOT_ASN]}, context, SETTINGS)
    assert verdict.eligible is False
    assert verdict.reasons == ["tidak memenuhi: ada anggota keluarga ASN/TNI/POLRI"]


def test_deceased_head_is_not_counted_and_flags_an_enrolled_household():
    members = [
        member(income=5_000_000, status="meninggal"),
        member(2, "istri", income=900_000),
        member(3, "anak", birth=date(2010, 1, 1)),
    ]
    context = household_context(HOUSE, members, TODAY)
    assert context["member_count"] == 2
    assert context["income_per_capita"] == 450_000
    assert context["head_occupation"] is None
    assert rules.evaluate(POOR, context, SETTINGS).eligible is True
    assert inclusion_flags(members) == ["kepala keluarga sudah meninggal"]


def test_household_with_nobody_left_is_flagged():
    members = [member(status="pindah"), member(2, "istri", status="meninggal")]
    assert inclusion_flags(members) == ["semua anggota keluarga sudah meninggal atau pindah"]
    assert household_context(HOUSE, members, TODAY)["income_per_capita"] is None


def test_member_without_ktp_counts_in_household_but_fails_a_person_rule():
    members = [member(income=1_000_000), member(2, "anak", birth=date(2006, 2, 2), ktp=False)]
    context = household_context(HOUSE, members, TODAY)
    assert context["income_per_capita"] == 500_000
    person = person_context(members[1], context, TODAY)
    verdict = rules.evaluate(
        {"all": [POOR, {"attr": "has_ktp", "op": "eq", "value": True}]}, person, SETTINGS
    )
    assert verdict.eligible is False
    assert verdict.reasons == ["tidak memenuhi: belum memiliki KTP"]


def test_any_group_with_occupation_list_and_housing_choice():
    tree = {
        "any": [
            {"attr": "head_occupation", "op": "in", "value": ["pedagang kecil", "buruh harian"]},
            {"attr": "floor", "op": "eq", "value": "tanah"},
        ]
    }
    trader = household_context(HOUSE, [member(occupation="Pedagang  Kecil")], TODAY)
    verdict = rules.evaluate(tree, trader, SETTINGS)
    assert verdict.eligible is True
    assert verdict.reasons == [
        "memenuhi: pekerjaan kepala keluarga Pedagang  Kecil termasuk "
        "(pedagang kecil, buruh harian)"
    ]
    clerk = household_context(HOUSE, [member(occupation="karyawan")], TODAY)
    verdict = rules.evaluate(tree, clerk, SETTINGS)
    assert verdict.eligible is False
    assert "tidak memenuhi: lantai rumah Semen, bukan Tanah" in verdict.reasons


def test_missing_umr_setting_makes_income_rules_unknown():
    context = household_context(HOUSE, [member(income=100_000)], TODAY)
    verdict = rules.evaluate(POOR, context, {})
    assert verdict.eligible is None
    assert verdict.reasons == ["belum diketahui: batas UMR Kota Bandung belum diatur"]


@pytest.mark.parametrize(
    "op,value,expected",
    [
        ("lt", 900, "daya listrik 900 VA tidak di bawah batas 900 VA"),
        ("le", 900, "daya listrik 900 VA tidak melebihi batas 900 VA"),
        ("ge", 1300, "daya listrik 900 VA di bawah batas minimal 1.300 VA"),
    ],
)
def test_numeric_phrases(op, value, expected):
    context = household_context(HOUSE, [member()], TODAY)
    verdict = rules.evaluate({"attr": "electricity_va", "op": op, "value": value}, context)
    assert verdict.checks[0].text == expected


def test_ages_count_completed_years():
    assert age_on(date(1966, 11, 2), TODAY) == 59
    assert age_on(date(1966, 11, 1), TODAY) == 60
    context = household_context(HOUSE, [member(birth=date(1966, 11, 1))], TODAY)
    assert context["has_elderly"] is True


def test_describe_reads_like_the_published_criteria():
    lines = rules.describe(
        {
            "all": [
                POOR,
                NOT_ASN,
                {
                    "any": [
                        {"attr": "has_elderly", "op": "eq", "value": True},
                        {"attr": "has_disability", "op": "eq", "value": True},
                    ]
                },
            ]
        },
        SETTINGS,
    )
    assert lines == [
        "Penghasilan per kapita paling banyak Rp 1.300.000 (UMR Kota Bandung)",
        "Tidak ada anggota keluarga ASN/TNI/POLRI",
        "Salah satu dari: ada anggota keluarga lansia; "
        "ada anggota keluarga penyandang disabilitas",
    ]


@pytest.mark.parametrize(
    "tree",
    [
        {"all": [{"attr": "gaji", "op": "lt", "value": 1}]},
        {"all": [{"attr": "age", "op": "kira", "value": 1}]},
        {"all": [{"attr": "floor", "op": "in", "value": "tanah"}]},
        {"semua": []},
        [],
    ],
)
def test_malformed_trees_are_refused(tree):
    with pytest.raises(rules.RuleError):
        rules.validate(tree)
