"""Public statistics: small cells shown as <5, and cells that would reveal them by difference."""

from datetime import date

from nutera.equity.measures import Counts, ProgramIndicator, RwIndicator
from nutera.equity.public import protect, public_program
from nutera.extensions import db
from nutera.programs.services import save_rule
from tests import factories


def _indicator(cells: list[tuple[int, int, int]]) -> ProgramIndicator:
    """cells: (recipients, eligible, covered) per RW, numbered from 1."""
    indicator = ProgramIndicator(1, "PKH", "Program Keluarga Harapan", 1)
    for number, (recipients, eligible, covered) in enumerate(cells, start=1):
        counts = Counts(
            households=eligible + 20, eligible=eligible, recipients=recipients, covered=covered
        )
        indicator.rws.append(RwIndicator(number, number, counts))
        indicator.total.add(counts)
    return indicator


def test_small_counts_are_shown_as_less_than_five():
    table = public_program(_indicator([(3, 40, 20), (25, 40, 20), (30, 40, 20), (0, 40, 20)]))
    assert [r.recipients for r in table.rows][0] == "<5"
    assert table.rows[3].recipients == "<5"  # zero is a count below five too


def test_a_lone_suppressed_cell_hides_the_next_smallest_so_the_total_cannot_reveal_it():
    # Recipients 3, 20, 30, 40: total 93. Showing 20, 30, 40 and 93 would give away the 3.
    table = public_program(_indicator([(3, 50, 25), (20, 50, 25), (30, 50, 25), (40, 50, 25)]))
    cells = [r.recipients for r in table.rows]
    assert cells == ["<5", "—", "30", "40"]
    assert table.total.recipients == "93"
    # What one can still work out: hidden cells add up to 23, at least one of them is >= 5.
    assert 93 - 30 - 40 == 23


def test_two_small_cells_that_add_up_to_eight_are_protected_by_a_larger_one():
    # 4 + 4 = 8 with the total shown would reveal both (each is at most 4).
    hidden, total_ok = protect([[4, 4, 12, 30]], {0, 1}, [0, 1, 2, 3])
    assert hidden == {0, 1, 2} and total_ok


def test_when_nothing_can_protect_a_small_cell_the_total_is_hidden_too():
    hidden, total_ok = protect([[3, 2]], {0, 1}, [1, 0])
    assert hidden == {0, 1} and not total_ok


def test_coverage_is_hidden_when_it_would_reveal_a_small_count():
    # RW 1: 40 eligible, 38 covered -> only 2 not covered: 95% would reveal the 2.
    table = public_program(_indicator([(38, 40, 38), (30, 50, 25), (30, 50, 25), (30, 50, 25)]))
    coverages = [r.coverage for r in table.rows]
    assert coverages[0] == "—"
    # And one more RW is hidden so the kelurahan coverage cannot be subtracted back.
    assert coverages.count("—") == 2 and table.total.coverage != "—"


def test_no_coverage_from_fewer_than_five_households():
    table = public_program(_indicator([(2, 3, 2), (30, 60, 30), (30, 60, 30)]))
    assert table.rows[0].eligible == "<5" and table.rows[0].coverage == "—"


def test_statistik_page_suppresses_small_cells(client, app, world):
    with app.app_context():
        from nutera.models import Kelurahan

        kelurahan = db.session.get(Kelurahan, world.kelurahan_id)
        program = factories.make_program(db.session, kelurahan, "BPNT")
        save_rule(db.session, program, {"all": [{"attr": "desil", "op": "le", "value": 4}]}, None)
        for rw, count in ((1, 3), (2, 12)):
            for _ in range(count):
                household = factories.make_household(db.session, factories.rt_of(kelurahan, rw, 1))
                household.desil = 2
                factories.enroll(db.session, program, household)
        db.session.commit()
    page = client.get("/statistik?kel=3273021003").get_data(as_text=True)
    assert '<tr data-rw="1"><td>RW 01</td><td class="text-end">&lt;5</td>' in page
    # RW 02's 12 would reveal RW 01's 3 from the total of 15: hidden as well.
    assert '<tr data-rw="2"><td>RW 02</td><td class="text-end">—</td>' in page
    assert 'data-stat-program="BPNT">15<' in page
    assert ">3<" not in page and ">12<" not in page
    assert "rw-chart.js" in page and "<script>" not in page
    assert date.today()  # the page is computed live


def test_methodology_page_explains_each_figure(client):
    page = client.get("/statistik/metodologi").get_data(as_text=True)
    for words in ("Cakupan =", "Kesalahan eksklusi =", "Kesalahan inklusi =", "Gini", "6 bulan"):
        assert words in page


def test_the_public_api_statistics_are_suppressed_the_same_way(client, app, world):
    with app.app_context():
        from nutera.models import Kelurahan

        kelurahan = db.session.get(Kelurahan, world.kelurahan_id)
        program = factories.make_program(db.session, kelurahan, "PKH")
        for rw, count in ((1, 3), (2, 12)):
            for _ in range(count):
                factories.enroll(
                    db.session,
                    program,
                    factories.make_household(db.session, factories.rt_of(kelurahan, rw, 1)),
                )
        db.session.commit()
    stats = client.get("/api/v1/statistics?kelurahan=3273021003").get_json()
    [pkh] = stats[0]["programs"]
    # 3 is below five; 12 would give the 3 away from the total of 15.
    assert pkh["by_rw"] == {"01": None, "02": None} and pkh["recipients"] == 15
