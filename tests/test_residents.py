"""Residents' pages: home buttons, menu, number pads, and the program text editor."""

import re

import pytest

from tests.test_programs_pages import _programs


def test_home_page_buttons_lead_to_the_resident_services(client, world):
    page = client.get("/").get_data(as_text=True)
    actions = page.split('id="resident-actions"')[1].split("</div>\n  <p")[0]
    for href, label in (
        ("/cek", "Cek bansos"),
        ("/cek-syarat", "Cek syarat"),
        ("/pengaduan", "Pengaduan"),
    ):
        assert f'href="{href}">{label}' in actions
    assert 'href="/daftar-relawan"' in page


@pytest.mark.parametrize("path", ["/", "/cek", "/program", "/pengaduan/cek"])
def test_cek_syarat_is_in_the_public_menu(client, world, path):
    nav = client.get(path).get_data(as_text=True).split("</nav>")[0]
    assert 'href="/cek-syarat">Cek syarat</a>' in nav


def _inputs(page: str, names: tuple[str, ...]) -> dict[str, str]:
    found = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        if name and name.group(1) in names:
            found[name.group(1)] = tag
    return found


def test_number_fields_open_the_number_pad(client, app, world, login_as):
    public = _inputs(
        client.get("/pengaduan?kelurahan=3273021003").get_data(as_text=True), ("subject_nik",)
    )
    assert 'inputmode="numeric"' in public["subject_nik"]
    assert (
        'inputmode="numeric"'
        in _inputs(client.get("/cek").get_data(as_text=True), ("nik",))["nik"]
    )
    login_as("volunteer")
    location = client.post("/survei/mulai", data={"rt_id": _volunteer_rt(app, world)}).headers[
        "Location"
    ]
    form = client.get(location).get_data(as_text=True)
    fields = _inputs(
        form,
        (
            "kk_number",
            "kode_pos",
            "electricity_va",
            "gps_accuracy_m",
            "members-0-nik",
            "members-0-monthly_income",
        ),
    )
    assert len(fields) == 6
    for name, tag in fields.items():
        assert 'inputmode="numeric"' in tag, name
    client.post("/logout")
    login_as("staff")
    manage = client.get("/kelola/program").get_data(as_text=True)
    assert 'inputmode="numeric"' in _inputs(manage, ("umr-amount",))["umr-amount"]
    task = client.get("/survei/tugas/baru").get_data(as_text=True)
    assert 'inputmode="numeric"' in _inputs(task, ("kk_number",))["kk_number"]


def _volunteer_rt(app, world):
    from nutera.extensions import db
    from nutera.models import User

    with app.app_context():
        return db.session.get(User, world.user_ids["volunteer"]).assigned_rts[0].id


def test_program_texts_use_the_vendored_editor_and_stay_sanitised(app, client, world, login_as):
    ids = _programs(app, world, "PKH")
    login_as("staff")
    page = client.get(f"/kelola/program/{ids['PKH']}").get_data(as_text=True)
    assert "/static/vendor/pell-1.0.6/pell.min.js" in page and "/static/js/rich-text.js" in page
    assert len(re.findall(r"<textarea[^>]*data-rich-text", page)) == 2
    assert not re.search(r"<script>(?!\s*</script>)", page)  # no inline script
    assert client.get("/static/vendor/pell-1.0.6/pell.min.js").status_code == 200
