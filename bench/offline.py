"""The field app offline: what a phone keeps for one RT, and syncing a day of surveys on 3G.

Usage: .venv/bin/python bench/offline.py [SURVEYS] [HOUSEHOLDS] [PROFILES]
       (default 50, 300 and "fast3g"; PROFILES is a comma list of fast3g, hspa)

Real Chromium (/usr/bin/chromium) against a live server on a scratch SQLite database:
1. A volunteer assigned to one RT of HOUSEHOLDS households (4 members each) signs in; the
   area data, the service worker's precache and the field pages are stored. Printed: the area
   JSON, and the whole origin's storage (navigator.storage.estimate) before any photo.
2. The ~300 KB house photo is attached as the survey form does it: shrunk on the device
   (photo-shrink.js: at most 1280 px, JPEG 0.7). Printed: its size before and after.
3. SURVEYS surveys, each with its own copy of that photo, are queued in the outbox, then sent
   unthrottled (the floor: client and server work in this run), then SURVEYS more over each
   DevTools-throttled profile: "fast3g" is DevTools' Fast 3G (562.5 ms latency, 180 KB/s
   down, 84 KB/s up), "hspa" a good 3G/HSPA cell (300 ms, 900 KB/s down, 187 KB/s up). The
   photo bytes alone at the upload rate are printed beside each figure. The outbox sends
   three items at a time (static/js/offline/sync.js), overlapping their round trips.
"""

import base64
import io
import random
import shutil
import sys
import tempfile
import threading
import time
from datetime import date

import sqlalchemy as sa
from _common import scratch_app
from PIL import Image, ImageDraw, ImageFilter
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from nutera.auth.services import assign_rts
from nutera.extensions import db
from nutera.models import Survey
from nutera.storage import stored_path
from tests.e2e.conftest import CHROMIUM_ARGS, PHONE
from tests.factories import PASSWORD, make_household, make_kelurahan, make_user, rt_of

SURVEYS = int(sys.argv[1]) if len(sys.argv) > 1 else 50
HOUSEHOLDS = int(sys.argv[2]) if len(sys.argv) > 2 else 300
PROFILES = {
    "fast3g": {"latency": 562.5, "downloadThroughput": 180_000, "uploadThroughput": 84_375},
    "hspa": {"latency": 300, "downloadThroughput": 900_000, "uploadThroughput": 187_500},
}
CHOSEN = (sys.argv[3] if len(sys.argv) > 3 else "fast3g").split(",")
HOUSING = [
    ["ownership", "sewa"],
    ["floor", "semen"],
    ["wall", "tembok"],
    ["roof", "seng"],
    ["water_source", "pdam"],
    ["toilet", "bersama"],
    ["electricity_va", "900"],
]


def house_photo(target: int = 300_000) -> bytes:
    """A camera-like JPEG of about target bytes (shapes, gradients and sensor noise)."""
    rng = random.Random(7)
    image = Image.new("RGB", (1600, 1200), (120, 140, 160))
    draw = ImageDraw.Draw(image)
    for _ in range(300):
        x, y = rng.randrange(1600), rng.randrange(1200)
        color = tuple(rng.randrange(256) for _ in range(3))
        draw.rectangle([x, y, x + rng.randrange(20, 250), y + rng.randrange(20, 200)], fill=color)
    image = image.filter(ImageFilter.GaussianBlur(1.2))
    noise = Image.effect_noise((1600, 1200), 32).convert("RGB")
    image = Image.blend(image, noise, 0.32)
    for quality in range(98, 20, -2):
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality)
        if out.tell() <= target:
            return out.getvalue()
    return out.getvalue()


def build(app) -> None:
    with app.app_context():
        kelurahan = make_kelurahan(db.session, "3273021003", "Tamansari", rts_per_rw=(1,))
        volunteer = make_user(db.session, "relawan", "volunteer", kelurahan)
        rt = rt_of(kelurahan, 1, 1)
        assign_rts(db.session, volunteer, [rt.id])
        rng = random.Random(5)
        relations = ("kepala", "istri", "anak", "anak")
        for index in range(HOUSEHOLDS):
            members = [
                {
                    "name": f"WARGA {index} {position}",
                    "relation": relation,
                    "sex": "P" if relation == "istri" else "L",
                    "birth_date": date(1960 + rng.randrange(50), 1 + rng.randrange(12), 10),
                }
                for position, relation in enumerate(relations)
            ]
            household = make_household(db.session, rt, members)
            household.address = f"Gg. Sukamaju No. {index + 1}"
        db.session.commit()


STORED = """async () => (await NuteraStore.area(NuteraApp.userId)) !== null
    && (await caches.has('nutera-pages'))
    && (await (await caches.open('nutera-pages')).keys()).length >= 3"""

SHRINK = """async (photoB64) => {
    // The photo as the form shrinks it when attached (photo-shrink.js): what is kept and sent.
    const bytes = Uint8Array.from(atob(photoB64), c => c.charCodeAt(0));
    const started = performance.now();
    const shrunk = await NuteraPhoto.shrink(new File([bytes], 'rumah.jpg', {type: 'image/jpeg'}));
    const ms = performance.now() - started;
    const out = new Uint8Array(await shrunk.arrayBuffer());
    let binary = '';
    for (let i = 0; i < out.length; i += 8192) {
        binary += String.fromCharCode(...out.subarray(i, i + 8192));
    }
    const bitmap = await createImageBitmap(shrunk);
    return {b64: btoa(binary), ms, width: bitmap.width, height: bitmap.height};
}"""

QUEUE = """async ([photoB64, from, count, housing]) => {
    const bytes = Uint8Array.from(atob(photoB64), c => c.charCodeAt(0));
    const area = await NuteraStore.area(NuteraApp.userId);
    const households = area.rts[0].households.slice(from, from + count);
    for (const [i, h] of households.entries()) {
        // A JPEG comment right after the start marker: a distinct photo (and hash) per item.
        const note = new TextEncoder().encode('bench-' + from + '-' + i);
        const segment = new Uint8Array([0xFF, 0xFE, 0, note.length + 2, ...note]);
        const blob = new Blob([bytes.slice(0, 2), segment, bytes.slice(2)], {type: 'image/jpeg'});
        await NuteraStore.add({kind: 'survey', userId: NuteraApp.userId, label: 'KK ' + h.kk,
            fields: h.pairs.concat(housing), blobs: [{name: 'photo', blob}],
            base: {kk: h.kk, version: h.version, pairs: h.pairs}});
    }
    return (await NuteraStore.counts()).total;
}"""

SYNC = """async () => {
    const started = performance.now();
    for (let round = 0; round < 20; round++) {
        await NuteraSync.run();
        if ((await NuteraStore.counts()).total === 0) { break; }
    }
    return {ms: performance.now() - started, left: (await NuteraStore.counts()).total};
}"""


def throttled(page, cdp, name, conditions, photo, photo64, number, floor) -> None:
    """Queue SURVEYS more surveys and send them over one throttled profile."""
    page.evaluate(QUEUE, [photo64, number * SURVEYS, SURVEYS, HOUSING])
    cdp.send("Network.emulateNetworkConditions", {"offline": False, **conditions})
    slow = page.evaluate(SYNC)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    assert slow["left"] == 0, slow
    up = conditions["uploadThroughput"]
    transfer = SURVEYS * len(photo) / up
    verdict = ("met" if slow["ms"] < 120_000 else "NOT met") if SURVEYS >= 50 else "(for 50)"
    print(
        f"sync {SURVEYS} surveys over {name:<7}                {slow['ms'] / 1000:8.1f} s"
        f"   target < 120 s: {verdict}"
    )
    print(
        f"  photo bytes alone at {up / 1000:.0f} KB/s up           {transfer:8.1f} s"
        f"   ratio {slow['ms'] / 1000 / transfer:.2f};"
        f" x{slow['ms'] / floor['ms']:.1f} the unthrottled run"
    )


def main() -> None:
    photo = house_photo()
    app = scratch_app(
        WTF_CSRF_ENABLED=True, LOGIN_RATE_LIMIT="1000 per minute", RATELIMIT_ENABLED=False
    )
    app.config["UPLOAD_FOLDER"] = tempfile.mkdtemp(prefix="nutera-bench-up-")
    build(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    profile = tempfile.mkdtemp(prefix="nutera-bench-profile-")
    print(
        f"RT of {HOUSEHOLDS} households x 4 members; {SURVEYS} surveys per run, "
        f"photos {len(photo) / 1024:.0f} KB each"
    )
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, **PHONE
        )
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(base + "/login")
        page.get_by_label("Nama pengguna").fill("relawan")
        page.get_by_label("Kata sandi").fill(PASSWORD)
        page.get_by_role("button", name="Masuk").click()
        page.goto(base + "/survei/")
        deadline = time.monotonic() + 60
        while not page.evaluate(STORED):
            assert time.monotonic() < deadline, "area and pages were not stored"
            page.wait_for_timeout(250)
        area = page.evaluate(
            "async () => JSON.stringify(await NuteraStore.area(NuteraApp.userId)).length"
        )
        usage = page.evaluate("async () => (await navigator.storage.estimate()).usage")
        print(f"area data in IndexedDB (JSON)            {area / 1024:9.0f} KB")
        print(
            f"device storage before photos (estimate)  {usage / 1024:9.0f} KB"
            f"   target < 5 MB: {'met' if usage < 5 * 1024 * 1024 else 'NOT met'}"
        )

        page.goto(base + "/survei/luring")
        shrunk = page.evaluate(SHRINK, base64.b64encode(photo).decode())
        sent_photo = base64.b64decode(shrunk["b64"])
        print(
            f"photo attached {len(photo) / 1024:.0f} KB (1600x1200) -> kept and sent"
            f" {len(sent_photo) / 1024:.0f} KB ({shrunk['width']}x{shrunk['height']},"
            f" shrunk on the device in {shrunk['ms']:.0f} ms)"
        )
        photo, photo64 = sent_photo, shrunk["b64"]
        page.evaluate(QUEUE, [photo64, 0, SURVEYS, HOUSING])
        floor = page.evaluate(SYNC)
        assert floor["left"] == 0, floor
        print(f"sync {SURVEYS} surveys, no throttling (floor)  {floor['ms'] / 1000:8.1f} s")

        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        for number, name in enumerate(CHOSEN, start=1):
            throttled(page, cdp, name, PROFILES[name], photo, photo64, number, floor)
        context.close()
    with app.app_context():
        total = db.session.query(Survey).count()
        stored = [
            stored_path(p).stat().st_size
            for p in db.session.scalars(
                sa.select(Survey.house_photo).where(Survey.house_photo.is_not(None))
            )
        ]
    assert total == (1 + len(CHOSEN)) * SURVEYS, total
    print(f"surveys recorded: {total} (each exactly once)")
    print(
        f"photo stored by the server (re-encoded): {sum(stored) / len(stored) / 1024:.0f} KB"
        f" on average over {len(stored)}"
    )
    server.shutdown()
    shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
