"""Public home page, dashboard and error pages."""

from nutera.extensions import db
from tests import factories


def test_home_shows_program_figures_with_indonesian_separators(app, client):
    with app.app_context():
        kelurahan = factories.make_kelurahan(db.session, "3273021003", "Tamansari")
        program = factories.make_program(db.session, kelurahan, "PKH")
        rt = kelurahan.rws[0].rts[0]
        for _ in range(3):
            factories.enroll(db.session, program, factories.make_household(db.session, rt))
        factories.enroll(
            db.session, program, factories.make_household(db.session, rt), status="berakhir"
        )
        db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert 'data-program="PKH">3<' in page
    assert "chart.umd.min.js" in page and "program-chart-data" in page


def test_number_format():
    from nutera.formatting import number_id, rupiah

    assert number_id(1073) == "1.073"
    assert number_id(24897) == "24.897"
    assert rupiah(1300000) == "Rp 1.300.000"


def test_no_asset_comes_from_a_cdn(client):
    page = client.get("/").get_data(as_text=True)
    assert "cdn" not in page.lower()
    assert "/static/vendor/bootstrap/bootstrap.min.css" in page


def test_404_page_is_indonesian(client):
    response = client.get("/tidak-ada")
    assert response.status_code == 404
    assert "Halaman tidak ditemukan" in response.get_data(as_text=True)


def test_403_page_is_indonesian(client, login_as):
    login_as("volunteer")
    response = client.get("/admin/pengguna")
    assert response.status_code == 403 and "Akses ditolak" in response.get_data(as_text=True)


def test_api_errors_are_problem_json(client):
    response = client.get("/api/tidak-ada")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 404


def test_500_page_is_indonesian_and_rolls_back(make_app):
    app = make_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    @app.route("/rusak")
    def broken():
        raise RuntimeError("boom")

    response = app.test_client().get("/rusak")
    assert response.status_code == 500
    assert "Terjadi kesalahan pada server" in response.get_data(as_text=True)
    assert "boom" not in response.get_data(as_text=True)


def test_dashboard_lists_volunteer_assignments(client, login_as):
    login_as("volunteer")
    page = client.get("/dasbor").get_data(as_text=True)
    assert "RT 01/RW 01" in page


def test_layout_links_follow_the_script_root(client, world):
    """Layout links are built once and reused, but never across mount points."""
    plain = client.get("/program").get_data(as_text=True)
    mounted = client.get("/program", base_url="http://localhost/nutera/").get_data(as_text=True)
    assert 'href="/cek"' in plain and 'href="/static/css/nutera.css"' in plain
    assert 'href="/nutera/cek"' in mounted and 'href="/nutera/static/css/nutera.css"' in mounted
    assert 'href="/cek"' not in mounted
    assert 'href="/cek"' in client.get("/statistik").get_data(as_text=True)
