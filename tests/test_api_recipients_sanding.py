"""recipients:read serves the sanding-validated list: each enrolment's validation, a filter."""

from datetime import date

import pytest
import sqlalchemy as sa

from nutera.audit import Actor
from nutera.extensions import db
from nutera.models import Household, Kelurahan, Refresh, SandingRow
from nutera.models.sanding import RowStatus
from nutera.sanding.publish import enrol_valid
from tests import factories
from tests.test_api import api  # noqa: F401 (the API client fixture)


def _validated_list(kelurahan: Kelurahan, program, households: list[Household]) -> list[int]:
    """A recipient list of kelurahan with one valid row per household's head, enrolled."""
    refresh = Refresh(
        kelurahan_id=kelurahan.id,
        source="Daftar PKH",
        filename="daftar.csv",
        sha256="0" * 64,
        status="dianalisis",
    )
    db.session.add(refresh)
    db.session.flush()
    rows = []
    for number, household in enumerate(households, start=1):
        head = household.members[0]
        row = SandingRow(
            refresh_id=refresh.id,
            kelurahan_id=kelurahan.id,
            row_number=number,
            nik=head.nik,
            name=head.name,
            programs=f",{program.code},",
            status=RowStatus.VALID,
            reason="Cocok dengan data penduduk.",
            person_id=head.id,
        )
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    made = enrol_valid(db.session, refresh, program, Actor(None), date(2026, 12, 1))
    assert made == len(households)
    return [row.id for row in rows]


@pytest.fixture
def lists(app, world):
    """Tamansari: PKH with two households enrolled from a validated list (one row later
    found to be a different name) and one enrolled by hand; Lebakgede: one from its list."""
    with app.app_context():
        tamansari = db.session.get(Kelurahan, world.kelurahan_id)
        lebakgede = db.session.get(Kelurahan, world.other_kelurahan_id)
        pkh = factories.make_program(db.session, tamansari, "PKH")
        listed = [
            factories.make_household(db.session, factories.rt_of(tamansari, 1, 1))
            for _ in range(2)
        ]
        row_ids = _validated_list(tamansari, pkh, listed)
        changed = db.session.get(SandingRow, row_ids[1])
        changed.status, changed.reason = RowStatus.NAMA_BERBEDA, "Nama di data penduduk: X."
        by_hand = factories.enroll(
            db.session, pkh, db.session.get(Household, world.household_ids["unassigned"])
        )
        other_pkh = factories.make_program(db.session, lebakgede, "PKH")
        _validated_list(
            lebakgede, other_pkh, [db.session.get(Household, world.household_ids["other"])]
        )
        db.session.commit()
        households = {h.id: "valid" for h in listed[:1]} | {listed[1].id: "nama_berbeda"}
        return households, by_hand.household_id, row_ids


def _items(api, token, **query):  # noqa: F811
    response = api.call("GET", "/api/v1/recipients", token, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["items"]


def _household_of(app, items):
    with app.app_context():
        kks = dict(db.session.execute(sa.select(Household.kk_number, Household.id)).all())
    return {kks[i["kk_number"]]: i for i in items}


def test_each_recipient_carries_the_validation_of_its_list_row(app, api, lists):  # noqa: F811
    households, by_hand, row_ids = lists
    token = api.login()
    found = _household_of(app, _items(api, token))
    assert set(found) == {*households, by_hand}
    valid, renamed = (found[h] for h in households)
    assert valid["validation_status"] == "valid"
    assert valid["validation_label"] == "Valid"
    assert valid["validation_reason"] == "Cocok dengan data penduduk."
    assert renamed["validation_status"] == "nama_berbeda"
    assert renamed["validation_label"] == "Nama berbeda"
    assert valid["validation_list"] == renamed["validation_list"] is not None
    hand = found[by_hand]
    assert hand["validation_status"] is None and hand["validation_list"] is None


def test_the_filter_keeps_only_validated_recipients_or_only_the_others(
    app,
    api,  # noqa: F811
    lists,
):
    households, by_hand, _ = lists
    token = api.login()
    validated = _household_of(app, _items(api, token, validated="true"))
    assert set(validated) == {h for h, status in households.items() if status == "valid"}
    others = _household_of(app, _items(api, token, validated="false"))
    assert set(others) == {by_hand} | {h for h, s in households.items() if s != "valid"}


def test_a_kelurahan_client_sees_no_validated_recipient_of_another(
    app,
    world,
    api,  # noqa: F811
    lists,
):
    own = _items(api, api.login(), validated="true")
    other = _items(api, api.login(kelurahan="other"), validated="true")
    assert len(own) == 1 and own[0]["kelurahan"] == "3273021003"
    assert len(other) == 1 and other[0]["kelurahan"] != "3273021003"
    assert own[0]["validation_list"] != other[0]["validation_list"]
    assert _household_of(app, other) == {world.household_ids["other"]: other[0]}
