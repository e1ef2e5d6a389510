"""Pages that fit: the staff bar on one line from 1024 px, a collapsed menu on phones, the
registry readable at 360 px; screenshots of both land in artifacts/screenshots/ (not committed)."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE
from tests.e2e.test_accessibility import sign_in

TOP_LEVEL = ".nt-navbar .navbar-nav > .nav-item:visible > .nav-link, .nt-navbar .navbar-brand"


@pytest.fixture
def screenshots(pytestconfig) -> Path:
    """artifacts/screenshots (git-ignored). Not pytest-playwright's test-results/: every
    pytest run empties that, so CI's PostgreSQL run would wipe the browser run's pictures."""
    folder = Path(pytestconfig.rootpath) / "artifacts" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("width", [1024, 1280])
@pytest.mark.parametrize("username", ["petugas", "admin", "relawan1"])
def test_navigation_fits_one_line(browser, pages_server, pages_app, screenshots, username, width):
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="id-ID")
    page = context.new_page()
    sign_in(page, pages_server, username, pages_app.demo_accounts[username])
    page.goto(pages_server + "/dasbor")
    items = page.locator(TOP_LEVEL)
    tops = {round(box["y"]) for box in (items.nth(i).bounding_box() for i in range(items.count()))}
    assert len(tops) == 1, f"navigation wraps onto {len(tops)} lines"
    assert page.locator("nav.navbar").bounding_box()["height"] <= 60
    assert page.evaluate("document.documentElement.scrollWidth") == width
    # Grouped menus open as dropdowns; the user sits in one with the sign-out button.
    user_menu = page.locator("#nav-user")
    expect(page.get_by_role("button", name="Keluar")).to_be_hidden()
    user_menu.click()
    expect(page.get_by_role("button", name="Keluar")).to_be_visible()
    if username == "petugas" and width == 1280:
        page.keyboard.press("Escape")
        page.evaluate("document.activeElement.blur()")
        page.locator("nav.navbar").screenshot(path=str(screenshots / "staff-navbar-1280.png"))
        page.locator("#nav-manage").click()
        expect(page.get_by_role("link", name="Log audit")).to_be_visible()
        page.screenshot(
            path=str(screenshots / "staff-navbar-1280-kelola-open.png"),
            clip={"x": 0, "y": 0, "width": 1280, "height": 260},
        )
    context.close()


def test_phone_menu_collapses_and_opens(phone, pages_server, pages_app):
    sign_in(phone, pages_server, "petugas", pages_app.demo_accounts["petugas"])
    phone.goto(pages_server + "/dasbor")
    toggler = phone.get_by_role("button", name="Buka menu")
    expect(toggler).to_be_visible()
    assert phone.locator("nav.navbar").bounding_box()["height"] <= 60
    expect(phone.get_by_role("link", name="Meja pengaduan", exact=True)).to_be_hidden()
    toggler.click()
    expect(phone.locator("#nav.collapse.show")).to_be_visible()
    expect(phone.get_by_role("link", name="Meja pengaduan", exact=True)).to_be_visible()
    # On a phone the user and the sign-out button are plain items of the open menu.
    expect(phone.get_by_role("button", name="Keluar")).to_be_visible()
    assert phone.get_by_role("button", name="Keluar").bounding_box()["height"] >= 44


def test_registry_list_fits_a_360_px_phone(browser, pages_server, pages_app, screenshots):
    context = browser.new_context(**PHONE, locale="id-ID")
    page = context.new_page()
    sign_in(page, pages_server, "petugas", pages_app.demo_accounts["petugas"])
    page.goto(pages_server + "/registri/kk")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # Each KK is a card: number, address, RT/RW and members all inside the screen.
    first = page.locator("table.nt-stack tbody tr").first
    for label in ("Nomor KK", "Alamat", "RT/RW", "Anggota"):
        cell = first.locator(f'td[data-label="{label}"]')
        expect(cell).to_be_visible()
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, label
    expect(first.locator('td[data-label="RT/RW"]')).to_contain_text("RT")
    # The pager wraps instead of widening the page, and its links are 44 px targets.
    pager = page.get_by_role("navigation", name="Halaman")
    expect(pager).to_be_visible()
    for link in pager.get_by_role("link").all():
        box = link.bounding_box()
        assert box["height"] >= 44 and box["x"] + box["width"] <= 360
    page.screenshot(path=str(screenshots / "registri-kk-360.png"))
    page.screenshot(path=str(screenshots / "registri-kk-360-full.png"), full_page=True)
    context.close()
