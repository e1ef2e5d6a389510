"""The strict Content-Security-Policy breaks no page: every role's main pages log no violation."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE

PAGES = {
    None: ["/", "/statistik", "/program", "/cek", "/pengaduan", "/login"],
    "petugas": [
        "/dasbor",
        "/registri/kk",
        "/survei/daftar",
        "/survei/verifikasi",
        "/pemutakhiran/",
        "/meja-pengaduan",
        "/kelola/program",
        "/penyaluran/",
    ],
    "relawan1": ["/dasbor", "/survei/", "/registri/kk", "/penyaluran/"],
}


def sign_in(page, live_server, live_app, username):
    page.goto(live_server + "/login")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(live_app.demo_accounts[username])
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("heading", name="Dasbor")).to_be_visible()


@pytest.mark.parametrize("username", list(PAGES), ids=lambda u: u or "public")
def test_main_pages_log_no_csp_violation(browser, live_server, live_app, username):
    context = browser.new_context(**PHONE, locale="id-ID")
    page = context.new_page()
    if username:
        sign_in(page, live_server, live_app, username)
    for path in PAGES[username]:
        response = page.goto(live_server + path)
        assert response.status == 200, path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        page.wait_for_load_state("load")
    context.close()  # the autouse no_csp_violation fixture asserts on what was logged


def test_the_watch_catches_a_violation(browser, live_server, no_csp_violation):
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server + "/")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.x = 1';"
        " document.body.appendChild(s); }"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("typeof window.x") == "undefined"  # the inline script was refused
    assert any("Content Security Policy" in v for v in no_csp_violation)
    no_csp_violation.clear()
    context.close()


def test_the_api_viewer_renders_every_operation_under_the_strict_policy(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page = context.new_page()
    outside = []
    page.on(
        "request",
        lambda request: (
            None if request.url.startswith(live_server) else outside.append(request.url)
        ),
    )
    page.goto(live_server + "/api/v1/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    spec = page.request.get(live_server + "/api/v1/openapi.json").json()
    operations = sum(len(item.keys() - {"parameters"}) for item in spec["paths"].values())
    expect(page.locator(".opblock")).to_have_count(operations)
    expect(
        page.locator(".opblock-summary-path", has_text="/api/v1/status/check").first
    ).to_be_visible()
    assert outside == []  # no validator badge, no font or script from elsewhere
    context.close()  # the autouse no_csp_violation fixture asserts on what was logged
