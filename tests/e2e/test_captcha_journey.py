"""The captcha's "Gambar lain" button on a phone: a new picture, typing kept (issue 14)."""

from playwright.sync_api import expect


def test_new_picture_button_replaces_the_captcha_and_keeps_the_form(phone, live_server):
    phone.goto(live_server + "/pengaduan")
    description = phone.locator("#description")
    description.fill("Bantuan beras bulan ini belum sampai ke rumah kami.")
    image = phone.locator("[data-captcha-image]")
    before = image.get_attribute("src")
    button = phone.get_by_role("button", name="Gambar lain")
    expect(button).to_be_visible()
    assert button.bounding_box()["height"] >= 44
    phone.locator("#captcha").fill("ABCDE")
    button.click()
    expect(image).not_to_have_attribute("src", before)
    expect(phone.locator("#captcha")).to_have_value("")
    expect(description).to_have_value("Bantuan beras bulan ini belum sampai ke rumah kami.")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
