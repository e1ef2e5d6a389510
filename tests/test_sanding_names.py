"""Indonesian name habits, NIK typo relations and candidate scoring (no app needed)."""

from datetime import date

import pytest

from nutera.models import CandidateKind
from nutera.sanding.candidates import judge, nik_relation
from nutera.sanding.names import normalise, score
from nutera.sanding.thresholds import Thresholds, from_config


@pytest.mark.parametrize(
    ("written", "registered"),
    [
        ("Muhammad Rizki", "MUHAMMAD RIZKI"),
        ("Muhamad Rizki", "Muhammad Rizki"),
        ("Moh. Rizki", "Muhammad Rizki"),
        ("M. Rizki", "Muhammad Rizki"),
        ("Mochammad Rizki", "Muhammad Rizki"),
        ("Nurhayati", "Nur Hayati"),
        ("Nurul Hayati", "Nurhayati"),
        ("Nur Aini", "Nurul Aini"),
        ("H. Ahmad Fauzi", "Ahmad Fauzi"),
        ("Hj. Siti Aminah", "Siti Aminah"),
        ("Drs. Bambang Sutrisno", "Bambang Sutrisno"),
        ("Siti Aminah, S.Pd", "Siti Aminah"),
        ("Siti Aminah S.Pd.", "SITI AMINAH"),
        ("Dr. Ir. Hadi Susanto, M.Si", "Hadi Susanto"),
        ("siti   aminah", "SITI AMINAH"),
        ("Ma'ruf Amin", "Maruf Amin"),
        ("Abdul-Rahman", "Abdul Rahman"),
        ("Soekarno", "Sukarno"),
    ],
)
def test_name_habits_read_the_same(written, registered):
    assert normalise(written) == normalise(registered)
    assert score(written, registered) == 100


def test_different_people_score_low():
    assert score("Siti Aminah", "Budi Santoso") < 50
    assert score("Slamet Riyadi", "Joko Widodo") < 50
    assert 60 < score("Siti Aminah", "Siti Aminah Putri") < 95
    assert score("", "Siti") == 0


def test_a_lone_title_or_degree_is_kept():
    assert normalise("H.") == "H"


@pytest.mark.parametrize(
    ("listed", "registered", "kind"),
    [
        ("3273024312780001", "3273024312780002", CandidateKind.SATU_DIGIT),
        ("3273024312780001", "3273024312780010", CandidateKind.TERTUKAR),
        ("3273024312780001", "3273024312781001", CandidateKind.SATU_DIGIT),
        ("3273024312780001", "3273024312780023", None),  # two digits changed
        ("3273024312780012", "3273024312780201", None),  # not adjacent
        ("3273024312780001", "3273024312780001", None),  # the same NIK
        ("327302431278001", "3273024312780001", None),
        (None, "3273024312780001", None),
    ],
)
def test_nik_relation(listed, registered, kind):
    assert nik_relation(listed, registered) == kind


def test_judge_bands():
    born = date(1978, 3, 12)
    limits = Thresholds(confirm=95, review=80, name_match=85)
    typo = judge(
        ("3273024312780001", "Siti Aminah", born),
        ("3273024312780002", "SITI AMINAH", born),
        limits,
    )
    assert typo == (CandidateKind.SATU_DIGIT, 100)
    other = judge(
        ("3273024312780001", "Hj. Siti Aminah", born),
        ("3273025512780444", "SITI AMINAH", born),
        limits,
    )
    assert other == (CandidateKind.NAMA_LAHIR, 92)  # review band, never bulk
    born_elsewhere = judge(
        ("3273024312780001", "Siti Aminah", born),
        ("3273024312780002", "SITI AMINAH", date(1979, 1, 1)),
        limits,
    )
    assert born_elsewhere == (CandidateKind.SATU_DIGIT, 90)
    assert (
        judge(
            ("3273024312780001", "Siti Aminah", born),
            ("3273024312780002", "BUDI SANTOSO", born),
            limits,
        )
        is None
    )
    assert (
        judge(
            ("3273024312780001", "Siti Aminah", born),
            ("3273029999999999", "SITI AMINAH", date(1990, 1, 1)),
            limits,
        )
        is None
    )


def test_thresholds_are_settings():
    limits = from_config({"SANDING_CONFIRM_SCORE": "97", "SANDING_REVIEW_SCORE": 70})
    assert limits == Thresholds(confirm=97, review=70, name_match=85)
