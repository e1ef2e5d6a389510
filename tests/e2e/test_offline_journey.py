"""The field app without signal, in a real Chromium with a persistent profile (issue #22).

Each journey gets its own small kelurahan and server (a fresh origin, so no service worker or
IndexedDB of another journey is in the way): a volunteer assigned to RT 01/RW 01 with three
registered KKs there, and a distribution event whose recipient lives in that RT.
"""

import base64
import io
import re
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import expect
from werkzeug.serving import make_server

from nutera import create_app
from nutera.extensions import db
from nutera.models import (
    DistributionRecipient,
    Handover,
    Household,
    OfflineSubmission,
    Survey,
    User,
    event_volunteer,
)
from nutera.storage import stored_path
from nutera.surveys.services import create_task
from tests import factories
from tests.dbutil import reset_to_migrated_schema
from tests.e2e.conftest import CHROMIUM_ARGS, PHONE, wait_until
from tests.factories_distribution import make_event, signature_png

HEADS = ("SITI AMINAH", "BUDI SANTOSO", "RINA MARLINA")


SYNC_PATHS = ("/luring/status", "/luring/kirim", "/luring/berkas")


class DropFirstAnswer:
    """WSGI wrapper: the first answer to each outbox item is lost after the server acted.

    Like a connection that breaks after the request arrived: the app records the item and
    commits, but the phone only sees a gateway error, so it sends the item again."""

    def __init__(self, app):
        self.app, self.seen, self.posts, self.active = app, set(), 0, False
        self.unreachable = False  # the sync endpoints answer as an unreachable network would

    def __call__(self, environ, start_response):
        if self.unreachable and environ["PATH_INFO"].startswith(SYNC_PATHS):
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"no route to host"]
        if not (self.active and environ["PATH_INFO"] == "/luring/kirim"):
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        self.posts += 1
        captured = {}

        def keep(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers

        answer = b"".join(self.app(environ, keep))
        if body not in self.seen and captured["status"].startswith("201"):
            self.seen.add(body)
            start_response("502 Bad Gateway", [("Content-Type", "text/plain")])
            return [b"upstream connection lost"]
        start_response(captured["status"], captured["headers"])
        return [answer]


@pytest.fixture
def field(tmp_path):
    """A small kelurahan served on its own port; yields (base_url, app, ids, dropper)."""
    app = create_app(
        {
            "SECRET_KEY": "e2e-offline",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'offline.sqlite3'}",
            "RATELIMIT_STORAGE_URI": "memory://",
            "LOGIN_RATE_LIMIT": "1000 per minute",
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        }
    )
    reset_to_migrated_schema(app)
    with app.app_context():
        world = factories.build_world(db.session)
        rt = db.session.get(Household, world.household_ids["assigned"]).rt
        for head in HEADS[1:]:
            household = factories.make_household(
                db.session, rt, [{"name": head, "relation": "kepala"}]
            )
            world.household_ids[head] = household.id
        # Invited: the first household and the second (never opened online in the journeys).
        event_id = make_event(db.session, world, households=("assigned", HEADS[1]))
        db.session.execute(
            sa.insert(event_volunteer).values(
                event_id=event_id, user_id=world.user_ids["volunteer"]
            )
        )
        recipient_id, second_id = (
            db.session.scalar(
                sa.select(DistributionRecipient.id).where(
                    DistributionRecipient.event_id == event_id,
                    DistributionRecipient.household_id == world.household_ids[key],
                )
            )
            for key in ("assigned", HEADS[1])
        )
        db.session.commit()
    dropper = DropFirstAnswer(app.wsgi_app)
    app.wsgi_app = dropper
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    ids = {"world": world, "event": event_id, "recipient": recipient_id, "second": second_id}
    yield f"http://127.0.0.1:{server.server_port}", app, ids, dropper
    server.shutdown()


def launch(browser_type, profile: Path, violations: list, offline: bool = False):
    """Chromium on a persistent profile (IndexedDB, caches and the worker survive a restart).

    offline starts it without network: set afterwards, the worker's Background Sync could
    already have sent the outbox in the moment between start and set_offline."""
    context = browser_type.launch_persistent_context(
        str(profile),
        offline=offline,
        executable_path="/usr/bin/chromium",
        args=CHROMIUM_ARGS,
        locale="id-ID",
        **PHONE,
    )
    context.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return context


def page_of(context):
    return context.pages[0] if context.pages else context.new_page()


def local_state(page) -> dict:
    """What the device keeps: outbox items (with blob sizes), area, sent, cached pages."""
    return page.evaluate(
        """() => new Promise((resolve, reject) => {
            const r = indexedDB.open('nutera-offline');
            r.onerror = () => reject(r.error);
            r.onsuccess = () => {
                const db = r.result;
                if (!db.objectStoreNames.contains('outbox')) {
                    resolve({outbox: [], area: 0, events: 0, sent: 0, pages: []}); return;
                }
                const tx = db.transaction(['outbox', 'area', 'sent']);
                const out = {};
                tx.objectStore('outbox').getAll().onsuccess = e => {
                    out.outbox = e.target.result.map(i => ({kind: i.kind, state: i.state,
                        key: i.key, userId: i.userId, unclaimed: !!i.unclaimed,
                        blobs: (i.blobs || []).map(b => b.blob.size)}));
                };
                const area = tx.objectStore('area');
                area.count('area').onsuccess = e => { out.area = e.target.result; };
                area.count('events').onsuccess = e => {
                    out.events = e.target.result;
                };
                tx.objectStore('sent').count().onsuccess = e => { out.sent = e.target.result; };
                tx.oncomplete = () => caches.has('nutera-pages').then(has => has
                    ? caches.open('nutera-pages').then(c => c.keys())
                        .then(keys => keys.map(k => new URL(k.url).pathname))
                    : []).then(pages => { out.pages = pages; resolve(out); });
            };
        })"""
    )


def wait_for(page, predicate, timeout=20.0):
    """Poll the device state until predicate(state) holds."""
    deadline = time.monotonic() + timeout
    while True:
        state = local_state(page)
        if predicate(state):
            return state
        assert time.monotonic() < deadline, state
        page.wait_for_timeout(250)


def sign_in(page, base: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("Nama pengguna").fill("relawan")
    page.get_by_label("Kata sandi").fill(factories.PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("heading", name="Dasbor")).to_be_visible()


def photo(seed: int) -> dict:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (40 * seed % 255, 120, 60)).save(out, "JPEG")
    return {"name": f"rumah-{seed}.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


RENTED = {
    "Status rumah": "Sewa/kontrak",
    "Lantai": "Semen",
    "Dinding": "Tembok",
    "Atap": "Seng/asbes",
    "Jamban": "Bersama/umum",
    "Air minum": "PDAM/ledeng",
}
OWNED = {
    "Status rumah": "Milik sendiri",
    "Lantai": "Keramik/ubin",
    "Dinding": "Tembok",
    "Atap": "Genteng",
    "Jamban": "Milik sendiri",
    "Air minum": "PDAM/ledeng",
}


def fill_house(page, choices: dict, power: str) -> None:
    """The survey's house questions: one option per select, and the electricity."""
    for label, option in choices.items():
        page.get_by_label(label).select_option(label=option)
    page.get_by_label("Daya listrik (VA, 0 bila tidak ada)").fill(power)


def fill_survey(page, head: str, seed: int) -> None:
    """Pick the KK from the local area data, complete the house, attach the photo, save."""
    page.get_by_label("KK dari data wilayah Anda").select_option(label=f"{head} · Jl. Uji No. 1")
    expect(page.locator("#members-0-name")).to_have_value(head)
    fill_house(page, RENTED, "900")
    page.get_by_label("Foto rumah (boleh dilewati)").set_input_files(photo(seed))
    page.get_by_role("button", name="Simpan ke kotak keluar").click()
    expect(page.locator("[data-offline-result]")).to_contain_text(
        re.compile(f"Tersimpan di kotak keluar: KK \\d{{16}} · {head}")
    )


def sign_pad(page) -> None:
    page.locator("#signature-pad").scroll_into_view_if_needed()
    box = page.locator("#signature-pad").bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 120)
    page.mouse.down()
    for x, y in ((80, 40), (130, 130), (190, 50), (250, 120), (300, 60)):
        page.mouse.move(box["x"] + x, box["y"] + y, steps=8)
    page.mouse.up()


def capture_handover(page) -> None:
    page.get_by_label("KTP/KK penerima (atau wakilnya) sudah dicocokkan").check()
    page.locator("#photo").set_input_files(photo(9))
    sign_pad(page)
    page.get_by_role("button", name="Simpan serah terima").click()
    expect(page.locator("[data-result]")).to_contain_text("Belum terkirim")


def ready_for_the_field(page, base: str, handover_url: str) -> None:
    """Online: the area is on the device and the field pages are in the worker's cache."""
    page.goto(base + "/survei/")
    wait_for(page, lambda s: s["area"] == 1 and "/survei/luring" in s["pages"])
    page.goto(handover_url)  # the capture page the officer will use in the hall
    wait_for(page, lambda s: any("/serah-terima/" in p for p in s["pages"]))


def a_day_offline(page, base: str, handover_url: str, on_first_saved=None) -> None:
    """No signal: reload, three surveys with photos and a handover, all into the outbox."""
    page.context.set_offline(True)
    page.goto(base + "/survei/luring")
    page.reload()  # served by the service worker
    expect(
        page.get_by_role("heading", name="Survei rumah tangga (bisa tanpa sinyal)")
    ).to_be_visible()
    expect(page.locator("[data-area-stamp]")).to_contain_text("Data lokal per")
    for seed, head in enumerate(HEADS, start=1):
        fill_survey(page, head, seed)
        if seed == 1 and on_first_saved:
            on_first_saved()
    page.goto(handover_url)
    capture_handover(page)
    expect(page.locator("[data-outbox-count]")).to_have_text("4")


def counts(app) -> dict:
    with app.app_context():
        return {
            "surveys": db.session.scalar(sa.select(sa.func.count(Survey.id))),
            "handovers": db.session.scalar(sa.select(sa.func.count(Handover.id))),
            "items": db.session.scalar(sa.select(sa.func.count(OfflineSubmission.id))),
        }


def test_a_day_without_signal_arrives_exactly_once(browser_type, field, tmp_path):
    base, app, ids, dropper = field
    handover_url = f"{base}/penyaluran/{ids['event']}/serah-terima/{ids['recipient']}"
    profile, violations = tmp_path / "profile", []
    context = launch(browser_type, profile, violations)
    page = page_of(context)
    sign_in(page, base)
    ready_for_the_field(page, base, handover_url)

    def staff_change_the_first_household():
        with app.app_context():
            household = db.session.get(Household, ids["world"].household_ids["assigned"])
            household.address = "Jl. Uji No. 1, belakang masjid"
            db.session.commit()

    a_day_offline(page, base, handover_url, staff_change_the_first_household)
    state = local_state(page)
    assert sorted(i["kind"] for i in state["outbox"]) == ["handover"] + ["survey"] * 3
    assert all(size > 0 for item in state["outbox"] for size in item["blobs"])
    assert [len(i["blobs"]) for i in state["outbox"] if i["kind"] == "handover"] == [2]
    assert counts(app) == {"surveys": 0, "handovers": 0, "items": 0}
    context.close()

    # The browser is reopened, still without signal: the outbox is all there.
    # Chromium may wake the worker's Background Sync before the emulated offline state
    # reaches it, so the server side of the sync is unreachable too until the test says so.
    dropper.unreachable = True
    context = launch(browser_type, profile, violations, offline=True)
    page = page_of(context)
    page.goto(base + "/luring/kotak-keluar")
    expect(page.locator("[data-outbox-summary]")).to_contain_text("4 data menunggu dikirim")
    expect(page.locator("[data-outbox-list] > li")).to_have_count(4)
    assert counts(app) == {"surveys": 0, "handovers": 0, "items": 0}

    dropper.unreachable = False
    context.set_offline(False)
    page.get_by_role("button", name="Kirim sekarang").click()
    expect(page.locator("[data-outbox-summary]")).to_contain_text(
        "Kotak keluar kosong", timeout=30_000
    )
    expect(page.locator("[data-sent-list] > li")).to_have_count(4)
    expect(page.locator("[data-sent-list]")).to_contain_text("Survei #")
    expect(page.locator("[data-outbox-count]")).to_have_text("0")
    assert counts(app) == {"surveys": 3, "handovers": 1, "items": 4}
    with app.app_context():
        surveys = db.session.scalars(sa.select(Survey)).all()
        assert sorted(s.members[0].name for s in surveys) == sorted(HEADS)
        assert all(stored_path(s.house_photo).exists() for s in surveys)
        handover = db.session.scalar(sa.select(Handover))
        assert stored_path(handover.photo_path).exists()
        assert stored_path(handover.signature_path).exists()
        # The household staff changed meanwhile: accepted, flagged with both versions.
        [conflict] = db.session.scalars(
            sa.select(OfflineSubmission).where(OfflineSubmission.conflict.is_(True))
        ).all()
        assert ["address", "Jl. Uji No. 1"] in conflict.device_copy
        assert ["address", "Jl. Uji No. 1, belakang masjid"] in conflict.server_copy

    # Signing out wipes the local data: area, sent record and cached pages.
    assert local_state(page)["area"] == 1
    page.get_by_role("button", name="Buka menu").click()
    sign_out = page.get_by_role("button", name="Keluar").last
    expect(sign_out).to_be_visible()  # the menu has finished opening
    with page.expect_response(lambda r: r.url.endswith("/logout")):
        sign_out.click()
    expect(page.get_by_text("Anda sudah keluar.")).to_be_visible(timeout=15_000)
    wait_for(
        page,
        lambda s: s["area"] == 0 and s["events"] == 0 and s["sent"] == 0 and s["pages"] == [],
    )
    context.close()
    assert violations == []


def test_items_sent_twice_after_lost_answers_make_one_record_each(browser_type, field, tmp_path):
    base, app, ids, dropper = field
    handover_url = f"{base}/penyaluran/{ids['event']}/serah-terima/{ids['recipient']}"
    violations: list = []
    context = launch(browser_type, tmp_path / "profile", violations)
    page = page_of(context)
    sign_in(page, base)
    ready_for_the_field(page, base, handover_url)
    a_day_offline(page, base, handover_url)
    page.goto(base + "/luring/kotak-keluar")
    dropper.active = True
    context.set_offline(False)
    # A weak hall network (DevTools throttling) on top of the lost answers.
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 300,
            "downloadThroughput": 50_000,
            "uploadThroughput": 25_000,
        },
    )
    summary = page.locator("[data-outbox-summary]")
    for _ in range(12):
        page.get_by_role("button", name="Kirim sekarang").click()
        expect(page.get_by_role("button", name="Kirim sekarang")).to_be_enabled(timeout=30_000)
        if summary.get_attribute("data-count") == "0":
            break
    expect(summary).to_contain_text("Kotak keluar kosong")
    assert len(dropper.seen) == 4  # every item's first answer was lost...
    assert dropper.posts >= 8  # ...and the item was sent again
    assert counts(app) == {"surveys": 3, "handovers": 1, "items": 4}
    with app.app_context():
        volunteer = db.session.scalar(sa.select(User).where(User.username == "relawan"))
        assert {s.volunteer_id for s in db.session.scalars(sa.select(Survey))} == {volunteer.id}
    context.close()
    assert violations == []


def registration(page, expression: str):
    return page.evaluate(
        f"() => navigator.serviceWorker.getRegistration().then(r => {expression})"
    )


def test_update_waits_for_the_outbox_and_a_refused_survey_is_fixed(browser_type, field, tmp_path):
    base, app, ids, _ = field
    handover_url = f"{base}/penyaluran/{ids['event']}/serah-terima/{ids['recipient']}"
    violations: list = []
    context = launch(browser_type, tmp_path / "profile", violations)
    page = page_of(context)
    sign_in(page, base)
    ready_for_the_field(page, base, handover_url)

    # Saved without the house's details: the server refuses it with its reasons.
    page.goto(base + "/survei/luring")
    page.get_by_label("KK dari data wilayah Anda").select_option(
        label=f"{HEADS[0]} · Jl. Uji No. 1"
    )
    page.get_by_label("Foto rumah (boleh dilewati)").set_input_files(photo(1))
    page.get_by_role("button", name="Simpan ke kotak keluar").click()
    expect(page.locator("[data-offline-result]")).to_contain_text("Tersimpan di kotak keluar")
    page.goto(base + "/luring/kotak-keluar")
    item = page.locator("[data-outbox-list] > li")
    expect(item.locator("[data-item-state]")).to_have_text("Ditolak server")
    expect(item).to_contain_text("Pilih status kepemilikan rumah.")
    expect(page.locator("[data-outbox-count]")).to_have_text("1")

    # A new version of the app: it waits while the outbox is not empty.
    app.config["OFFLINE_APP_VERSION"] = "2"
    registration(page, "r.update()")
    banner = page.locator("[data-update-banner]")
    expect(banner).to_contain_text("Versi baru aplikasi siap")
    page.wait_for_timeout(1000)
    assert registration(page, "r.waiting !== null")
    page.reload()  # a reload neither activates it nor loses the outbox
    expect(banner).to_be_visible()
    assert registration(page, "r.waiting !== null")
    expect(page.locator("[data-outbox-list] > li")).to_have_count(1)
    # The volunteer agrees: the new version takes over, the outbox is still there.
    with page.expect_navigation():  # the page reloads under the new version
        page.get_by_role("button", name="Perbarui sekarang").click()
    expect(page.locator("[data-outbox-list] > li")).to_have_count(1, timeout=10_000)
    assert registration(page, "r.waiting === null && r.active !== null")

    # Fix and resend: the form comes back with what was typed and the photo kept.
    page.get_by_role("link", name="Perbaiki dan kirim ulang").click()
    expect(page.locator("#members-0-name")).to_have_value(HEADS[0])
    expect(page.locator("[data-photo-kept]")).to_be_visible()
    fill_house(page, OWNED, "1300")
    page.get_by_role("button", name="Simpan ke kotak keluar").click()
    expect(page.locator("[data-outbox-count]")).to_have_text("0", timeout=15_000)
    page.goto(base + "/luring/kotak-keluar")
    expect(page.locator("[data-outbox-summary]")).to_contain_text("Kotak keluar kosong")
    expect(page.locator("[data-sent-list]")).to_contain_text("Survei #")
    assert counts(app) == {"surveys": 1, "handovers": 0, "items": 1}
    with app.app_context():
        survey = db.session.scalar(sa.select(Survey))
        assert survey.ownership == "milik" and stored_path(survey.house_photo).exists()
    context.close()
    assert violations == []


AGE_AREA = """(key) => new Promise(resolve => {
    const r = indexedDB.open('nutera-offline');
    r.onsuccess = () => {
        const store = r.result.transaction('area', 'readwrite').objectStore('area');
        store.get(key).onsuccess = e => {
            const area = e.target.result;
            area.fetched_at -= 8 * 24 * 3600 * 1000;
            store.put(area).onsuccess = () => resolve(true);
        };
    };
})"""


def test_local_area_expires_after_7_days_and_with_the_session(browser_type, field, tmp_path):
    base, app, ids, _ = field
    handover_url = f"{base}/penyaluran/{ids['event']}/serah-terima/{ids['recipient']}"
    violations: list = []
    context = launch(browser_type, tmp_path / "profile", violations)
    page = page_of(context)
    sign_in(page, base)
    ready_for_the_field(page, base, handover_url)

    # A copy older than 7 days is wiped, even without signal: the distribution events...
    wait_for(page, lambda s: s["events"] == 1)
    page.evaluate(AGE_AREA, "events")
    context.set_offline(True)
    page.goto(base + "/luring/penyaluran")
    expect(page.locator("[data-events-stamp]")).to_have_text(
        "Data penyaluran belum tersimpan di perangkat ini."
    )
    assert local_state(page)["events"] == 0
    # ...and the area.
    page.evaluate(AGE_AREA, "area")
    page.goto(base + "/survei/luring")
    expect(page.locator("[data-area-stamp]")).to_have_text(
        "Data wilayah belum tersimpan di perangkat ini."
    )
    assert local_state(page)["area"] == 0
    context.set_offline(False)
    page.goto(base + "/luring/kotak-keluar")
    page.get_by_role("button", name="Perbarui data wilayah").click()
    expect(page.locator("[data-area-stamp]")).to_contain_text("Data lokal per")

    # An admin ends the volunteer's sessions: the next page is the sign-in, the data goes.
    with app.app_context():
        volunteer = db.session.scalar(sa.select(User).where(User.username == "relawan"))
        volunteer.session_generation = (volunteer.session_generation or 0) + 1
        db.session.commit()
    page.goto(base + "/survei/")
    expect(page.get_by_label("Nama pengguna")).to_be_visible()
    wait_for(page, lambda s: s["area"] == 0 and s["pages"] == [])
    context.close()
    assert violations == []


def test_the_usual_survey_form_sends_through_the_outbox_without_signal(
    browser_type, field, tmp_path
):
    base, app, ids, _ = field
    handover_url = f"{base}/penyaluran/{ids['event']}/serah-terima/{ids['recipient']}"
    violations: list = []
    context = launch(browser_type, tmp_path / "profile", violations)
    page = page_of(context)
    sign_in(page, base)
    ready_for_the_field(page, base, handover_url)
    with app.app_context():
        kk = db.session.get(Household, ids["world"].household_ids["assigned"]).kk_number
    page.goto(base + "/survei/")
    page.get_by_label("Nomor KK bila sudah terdaftar (boleh kosong)").fill(kk)
    page.get_by_role("button", name="Mulai survei").click()
    expect(page.locator("#members-0-name")).to_have_value(HEADS[0])
    draft_id = int(page.url.rstrip("/").split("/")[-2])

    context.set_offline(True)
    fill_house(page, OWNED, "900")
    page.get_by_label("Foto rumah (boleh dilewati)").set_input_files(photo(4))
    page.get_by_role("button", name="Kirim survei").click()
    expect(page.locator("#save-status")).to_contain_text("disimpan di kotak keluar")
    expect(page.locator("[data-outbox-count]")).to_have_text("1")

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("[data-outbox-count]")).to_have_text("0", timeout=15_000)
    with app.app_context():
        [survey] = db.session.scalars(sa.select(Survey)).all()
        assert survey.id == draft_id and survey.status == "submitted"
        assert survey.ownership == "milik" and stored_path(survey.house_photo).exists()
    context.close()
    assert violations == []


def test_handover_offline_for_a_recipient_never_opened_online(browser_type, field, tmp_path):
    base, app, ids, _ = field
    violations: list = []
    context = launch(browser_type, tmp_path / "profile", violations)
    page = page_of(context)
    sign_in(page, base)
    # Online, only the task list is opened: the event's recipients come down with the area.
    page.goto(base + "/survei/")
    wait_for(
        page,
        lambda s: (
            s["events"] == 1 and {"/luring/penyaluran", "/luring/serah-terima"} <= set(s["pages"])
        ),
    )
    assert not any("/penyaluran/" in p for p in local_state(page)["pages"])

    context.set_offline(True)
    # The desk's search, never opened online, is drawn from the device's event list.
    page.goto(f"{base}/penyaluran/{ids['event']}/serah-terima?q=budi")
    expect(page.get_by_role("heading", name="Serah terima (bisa tanpa sinyal)")).to_be_visible()
    rows = page.locator("[data-offline-results] [data-recipient-row]")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(HEADS[1])
    page.get_by_label("Cari penerima (nama penerima atau kepala keluarga)").fill("siti")
    page.get_by_role("button", name="Cari").click()
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(HEADS[0])
    page.get_by_label("Cari penerima (nama penerima atau kepala keluarga)").fill("budi")
    page.get_by_role("button", name="Cari").click()
    page.get_by_role("link", name="Serahkan").click()
    expect(page).to_have_url(f"{base}/penyaluran/{ids['event']}/serah-terima/{ids['second']}")
    expect(page.locator("[data-recipient-name]")).to_have_text(HEADS[1])
    capture_handover(page)
    expect(page.locator("[data-outbox-count]")).to_have_text("1")
    # The invitation's QR, scanned without signal, opens its recipient's form too.
    with app.app_context():
        token = db.session.get(DistributionRecipient, ids["second"]).token
    page.goto(f"{base}/penyaluran/{ids['event']}/serah-terima?token={token}")
    expect(page).to_have_url(f"{base}/penyaluran/{ids['event']}/serah-terima/{ids['second']}")
    expect(page.locator("[data-recipient-name]")).to_have_text(HEADS[1])
    page.goto(f"{base}/penyaluran/{ids['event']}/serah-terima?token=bukan-kode-undangan")
    expect(page.locator("[data-offline-count]")).to_contain_text("Kode QR tidak dikenal")
    # A recipient who is not in the device's copy cannot be captured offline.
    page.goto(f"{base}/penyaluran/{ids['event']}/serah-terima/999999")
    expect(page.locator("[data-recipient-warning]")).to_contain_text("tidak ada di data")
    expect(page.get_by_role("button", name="Simpan serah terima")).to_be_disabled()

    context.set_offline(False)
    page.goto(base + "/luring/kotak-keluar")
    expect(page.locator("[data-outbox-summary]")).to_contain_text(
        "Kotak keluar kosong", timeout=30_000
    )
    with app.app_context():
        [handover] = db.session.scalars(sa.select(Handover)).all()
        assert handover.recipient_id == ids["second"]
        assert stored_path(handover.photo_path).exists()
    assert counts(app)["items"] == 1
    context.close()
    assert violations == []


def test_an_offline_survey_starts_from_a_cached_task(browser_type, field, tmp_path):
    base, app, ids, _ = field
    with app.app_context():
        household = db.session.get(Household, ids["world"].household_ids[HEADS[2]])
        staff = db.session.get(User, ids["world"].user_ids["staff"])
        task = create_task(
            db.session, staff, household.rt, "Jl. Uji No. 1", HEADS[2], "pindahan", household
        )
        db.session.commit()
        task_id = task.id
    violations: list = []
    context = launch(browser_type, tmp_path / "profile", violations)
    page = page_of(context)
    sign_in(page, base)
    page.goto(base + "/survei/")
    wait_for(page, lambda s: s["area"] == 1 and "/survei/luring" in s["pages"])

    context.set_offline(True)
    # The outbox page lists the cached tasks too, each opening the offline form.
    page.goto(base + "/luring/kotak-keluar")
    link = page.locator("[data-area-tasks] li", has_text=HEADS[2]).get_by_role("link")
    expect(link).to_have_attribute("href", f"/survei/luring?task={task_id}")
    page.goto(base + "/survei/")  # the task list, from the service worker
    task_row = page.locator("#tasks li", has_text=HEADS[2])
    task_row.get_by_role("button", name="Survei").click()
    expect(page).to_have_url(f"{base}/survei/luring?task={task_id}")
    expect(page.locator("[data-task-note]")).to_contain_text(f"Tugas: {HEADS[2]}")
    expect(page.locator("#members-0-name")).to_have_value(HEADS[2])
    expect(page.get_by_label("KK dari data wilayah Anda")).to_have_value(household_kk(app, ids))
    fill_house(page, OWNED, "900")
    page.get_by_role("button", name="Simpan ke kotak keluar").click()
    expect(page.locator("[data-offline-result]")).to_contain_text("Tersimpan di kotak keluar")

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("[data-outbox-count]")).to_have_text("0", timeout=15_000)
    with app.app_context():
        [survey] = db.session.scalars(sa.select(Survey)).all()
        assert survey.task_id == task_id and survey.members[0].name == HEADS[2]
    context.close()
    assert violations == []


def household_kk(app, ids) -> str:
    with app.app_context():
        return db.session.get(Household, ids["world"].household_ids[HEADS[2]]).kk_number


SEED_OLD_QUEUE = """([items, photo, signature]) => new Promise((resolve, reject) => {
    // The Wave-1 queue exactly as distribution-queue.js kept it (version 1, store "pending").
    const r = indexedDB.open('nutera-distribution', 1);
    r.onupgradeneeded = () => r.result.createObjectStore('pending', {keyPath: 'key'});
    r.onerror = () => reject(r.error);
    r.onsuccess = () => {
        const db = r.result;
        const tx = db.transaction('pending', 'readwrite');
        const bytes = b64 => Uint8Array.from(atob(b64), c => c.charCodeAt(0));
        for (const item of items) {
            tx.objectStore('pending').put({...item,
                photo: new Blob([bytes(photo)], {type: 'image/jpeg'}),
                signature: new Blob([bytes(signature)], {type: 'image/png'})});
        }
        tx.oncomplete = () => { db.close(); resolve(true); };
    };
})"""

OLD_DATABASES = "async () => (await indexedDB.databases()).map(d => d.name)"


def test_the_old_handover_queue_moves_into_the_outbox_once(browser_type, field, tmp_path):
    base, app, ids, _ = field
    violations: list = []
    context = launch(browser_type, tmp_path / "profile", violations)
    page = page_of(context)
    sign_in(page, base)
    page.goto(base + "/luring/kotak-keluar")
    wait_for(page, lambda s: "/luring/kotak-keluar" in s["pages"])
    capture = f"{base}/penyaluran/{ids['event']}/serah-terima/{ids['recipient']}"
    key = "0123456789abcdef" * 2
    fields = [["idempotency_key", key], ["identity_checked", "y"], ["latitude", "-6.9"]]
    items = [
        {"key": key, "url": capture, "fields": fields, "label": HEADS[0]},
        # A correction (staff, online) is not a first handover: it stays with its page.
        {"key": "c" * 32, "url": f"{base}/penyaluran/catatan/1/koreksi", "fields": []},
    ]
    context.set_offline(True)
    signature = base64.b64encode(signature_png()).decode()
    page.evaluate(
        SEED_OLD_QUEUE, [items, base64.b64encode(photo(3)["buffer"]).decode(), signature]
    )

    page.reload()  # app open, without signal: the old queue's handover moves to the outbox
    state = wait_for(page, lambda s: len(s["outbox"]) == 1)
    assert state["outbox"][0]["key"] == key and state["outbox"][0]["kind"] == "handover"
    assert len(state["outbox"][0]["blobs"]) == 2
    left = page.evaluate(
        """() => new Promise(resolve => {
            const r = indexedDB.open('nutera-distribution');
            r.onsuccess = () => r.result.transaction('pending').objectStore('pending')
                .getAllKeys().onsuccess = e => { r.result.close(); resolve(e.target.result); };
        })"""
    )
    assert left == ["c" * 32]
    page.reload()  # a second app open moves nothing twice
    page.wait_for_timeout(1000)
    assert [i["key"] for i in local_state(page)["outbox"]] == [key]

    # Once only handovers were queued, the old database is removed altogether.
    page.evaluate(
        """() => new Promise(resolve => {
            const r = indexedDB.open('nutera-distribution');
            r.onsuccess = () => {
                const tx = r.result.transaction('pending', 'readwrite');
                tx.objectStore('pending').clear();
                tx.oncomplete = () => { r.result.close(); resolve(true); };
            };
        })"""
    )
    page.reload()
    deadline = time.monotonic() + 10
    while "nutera-distribution" in page.evaluate(OLD_DATABASES):
        assert time.monotonic() < deadline, "the old queue's database was not removed"
        page.wait_for_timeout(250)

    # The old queue recorded no officer: the handover waits, unclaimed, and is not sent under
    # the name of whoever happens to be signed in on the phone.
    [moved] = local_state(page)["outbox"]
    assert moved["unclaimed"] and moved["userId"] is None
    context.set_offline(False)
    page.reload()
    page.get_by_role("button", name="Kirim sekarang").click()
    expect(page.locator("[data-outbox-summary]")).to_contain_text(
        "1 serah terima dari aplikasi versi lama menunggu petugas", timeout=30_000
    )
    with app.app_context():
        assert db.session.scalars(sa.select(Handover)).all() == []

    # The officer who recorded it says so: it is sent, under their name.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Saya yang mencatat, kirim atas nama saya").click()
    expect(page.locator("[data-outbox-summary]")).to_contain_text(
        "Kotak keluar kosong", timeout=30_000
    )
    with app.app_context():
        [handover] = db.session.scalars(sa.select(Handover)).all()
        assert handover.idempotency_key == key and handover.recipient_id == ids["recipient"]
        assert handover.signature_path and stored_path(handover.photo_path).exists()
        assert handover.officer.username == "relawan"
    context.close()
    assert violations == []


EXIF_ROTATED = 6  # the camera was held upright: pixels are landscape, shown portrait


def camera_photo(width: int, height: int, orientation: int | None = None) -> bytes:
    """A noisy JPEG like a phone camera's, optionally with an EXIF orientation."""
    image = Image.effect_noise((width, height), 40).convert("RGB")
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92, exif=exif.tobytes())
    return out.getvalue()


SHRUNK = """async () => {
    const input = document.querySelector('[name=photo]');
    const file = await NuteraPhoto.of(input);
    const bitmap = await createImageBitmap(file);
    return {size: file.size, type: file.type, width: bitmap.width, height: bitmap.height,
            inputSize: input.files[0].size};
}"""


def test_photos_are_shrunk_upright_when_attached(browser_type, field, tmp_path):
    base, app, ids, _ = field
    violations: list = []
    context = launch(browser_type, tmp_path / "profile", violations)
    page = page_of(context)
    sign_in(page, base)
    page.goto(base + "/survei/luring")
    big = camera_photo(2400, 1800, EXIF_ROTATED)
    page.get_by_label("Foto rumah (boleh dilewati)").set_input_files(
        {"name": "kamera.jpg", "mimeType": "image/jpeg", "buffer": big}
    )
    expect(page.locator('[data-photo-status="photo"]')).to_contain_text("Foto siap")
    shrunk = page.evaluate(SHRUNK)
    # 1280 px on the long side, turned upright by its EXIF orientation, a JPEG smaller than
    # the original; the input now holds it, so an ordinary form post sends it too.
    assert (shrunk["width"], shrunk["height"]) == (960, 1280)
    assert shrunk["type"] == "image/jpeg" and shrunk["size"] < len(big) / 3
    assert shrunk["inputSize"] == shrunk["size"]
    # A photo already smaller than its re-encoding (a low-quality JPEG) is kept as it is.
    out = io.BytesIO()
    Image.effect_noise((640, 480), 40).convert("RGB").save(out, "JPEG", quality=10)
    small = {"name": "kecil.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}
    page.get_by_label("Foto rumah (boleh dilewati)").set_input_files(small)
    expect(page.locator('[data-photo-status="photo"]')).to_contain_text("Foto siap")
    kept = page.evaluate(SHRUNK)
    assert kept["size"] == len(small["buffer"]) and (kept["width"], kept["height"]) == (640, 480)

    # The handover form shrinks its photo the same way, and the outbox keeps the smaller one.
    page.goto(f"{base}/penyaluran/{ids['event']}/serah-terima/{ids['recipient']}")
    page.get_by_label("KTP/KK penerima (atau wakilnya) sudah dicocokkan").check()
    page.locator("#photo").set_input_files(
        {"name": "kamera.jpg", "mimeType": "image/jpeg", "buffer": big}
    )
    expect(page.locator('[data-photo-status="photo"]')).to_contain_text("Foto siap")
    context.set_offline(True)
    sign_pad(page)
    page.get_by_role("button", name="Simpan serah terima").click()
    expect(page.locator("[data-result]")).to_contain_text("Belum terkirim")
    [item] = local_state(page)["outbox"]
    assert item["blobs"][0] == page.evaluate(SHRUNK)["size"] < len(big) / 3
    context.set_offline(False)
    page.goto(base + "/luring/kotak-keluar")
    expect(page.locator("[data-outbox-summary]")).to_contain_text(
        "Kotak keluar kosong", timeout=30_000
    )
    with app.app_context():
        [handover] = db.session.scalars(sa.select(Handover)).all()
        with Image.open(stored_path(handover.photo_path)) as stored:
            assert stored.height > stored.width  # upright, as the camera was held
    context.close()
    assert violations == []


# An item another account left on a shared phone, put straight into the outbox store.
OTHER_ACCOUNTS_ITEM = """
async (userId) => {
  await window.NuteraStore.put({key: "milik-akun-lain", kind: "survey", userId: userId,
    label: "Survei · KK ORANG LAIN", fields: [], blobs: [], uploaded: [], state: "refused",
    message: "Ditolak"});
}
"""


def test_a_shared_phone_shows_and_removes_only_the_signed_in_accounts_items(
    browser_type, field, tmp_path
):
    base, app, ids, _ = field
    context = launch(browser_type, tmp_path / "profile", [])
    page = page_of(context)
    sign_in(page, base)
    page.goto(base + "/luring/kotak-keluar")
    wait_until(page, "() => !!window.NuteraApp && !!window.NuteraStore")
    page.evaluate(OTHER_ACCOUNTS_ITEM, 999_999)
    page.reload()
    summary = page.locator("[data-outbox-summary]")
    expect(summary).to_contain_text("1 data milik akun lain di perangkat ini")
    expect(page.locator("[data-outbox-list] .nt-outbox-item")).to_have_count(0)
    expect(page.get_by_text("KK ORANG LAIN")).to_have_count(0)
    keys = page.evaluate("() => window.NuteraStore.all().then(i => i.map(x => x.key))")
    assert keys == ["milik-akun-lain"]  # kept for its owner, not sent as this account
    context.close()
