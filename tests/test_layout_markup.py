"""Markup every page shares: labelled focusable table regions, no empty table headers, named
navigation landmarks, the staff menu grouped and the user in a dropdown (fast, no browser)."""

import re
from html.parser import HTMLParser

import pytest

STAFF_PAGES = [
    "/dasbor",
    "/registri/kk",
    "/survei/daftar",
    "/survei/verifikasi",
    "/survei/verifikasi/bersih",
    "/survei/tugas",
    "/pemutakhiran/",
    "/meja-pengaduan",
    "/kelola/program",
    "/penyaluran/",
    "/admin/pengguna",
    "/admin/audit",
    "/statistik",
]


class _Markup(HTMLParser):
    """Collects what the checks need from one page."""

    def __init__(self):
        super().__init__()
        self.regions, self.navs, self.headers = [], [], []
        self._th = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if "table-responsive" in classes:
            self.regions.append(attrs)
        if tag == "nav":
            self.navs.append(attrs.get("aria-label"))
        if tag == "th":
            self._th = []

    def handle_data(self, data):
        if self._th is not None:
            self._th.append(data)

    def handle_endtag(self, tag):
        if tag == "th" and self._th is not None:
            self.headers.append("".join(self._th).strip())
            self._th = None


def _parse(client, path: str) -> _Markup:
    response = client.get(path)
    assert response.status_code == 200, path
    markup = _Markup()
    markup.feed(response.get_data(as_text=True))
    return markup


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_tables_navs_and_headers_are_accessible(client, login_as, path):
    login_as("staff")
    markup = _parse(client, path)
    for region in markup.regions:
        assert region.get("tabindex") == "0", path
        assert region.get("role") == "region", path
        assert region.get("aria-label"), path
    assert all(markup.headers), f"{path}: empty table header"
    assert all(markup.navs), f"{path}: a <nav> without aria-label"
    assert len(set(markup.navs)) == len(markup.navs), f"{path}: two navs with one name"


def test_staff_menu_is_grouped_with_the_user_in_a_dropdown(client, login_as):
    login_as("staff")
    html = client.get("/dasbor").get_data(as_text=True)
    nav = html.split('aria-label="Menu utama"', 1)[1].split("</nav>", 1)[0]
    assert 'id="nav-data"' in nav and 'id="nav-manage"' in nav and 'id="nav-user"' in nav
    user_menu = nav.split('id="nav-user"', 1)[1].split("</ul>", 1)[0]
    assert "Keluar" in user_menu and "Petugas kelurahan" in user_menu
    # The current page is marked for screen readers.
    assert 'href="/dasbor" aria-current="page"' in nav
    # The bar's own colours (white on #146c43), not Bootstrap's translucent navbar-dark links.
    [nav_tag] = re.findall(r'<nav [^>]*aria-label="Menu utama"[^>]*>', html)
    assert "nt-navbar" in nav_tag and "bg-success" not in nav_tag


def test_public_menu_has_no_staff_links(client):
    html = client.get("/").get_data(as_text=True)
    nav = html.split('aria-label="Menu utama"', 1)[1].split("</nav>", 1)[0]
    assert "Masuk petugas" in nav and "nav-user" not in nav and "/registri" not in nav
