"""axe-core on every main page, as each role, at 360 px and 1280 px: no serious or critical
violation; on phones every link and button in the navigation and in forms is a 44 px target
and no page is wider than the screen."""

import io
import threading
from datetime import date
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from PIL import Image

from nutera.api.clients import ClientInput, register_client
from nutera.distribution.services import HandoverInput, create_event, record_handover
from nutera.extensions import db
from nutera.models import (
    AidProgram,
    AuditLog,
    DistributionRecipient,
    Household,
    Kelurahan,
    Person,
    Refresh,
    Rt,
    SandingRow,
    User,
    volunteer_rt,
)
from nutera.volunteers import services as volunteer_services
from tests.e2e.conftest import PHONE
from tests.factories_complaints import make_complaint
from tests.factories_distribution import signature_png
from tests.factories_refresh import write_csv
from tests.factories_surveys import make_survey

ASSETS = Path(__file__).parent / "assets"
WIDTHS = {"phone": PHONE, "laptop": {"viewport": {"width": 1280, "height": 900}}}
TAMANSARI = "3273091002"

PUBLIC = [
    "/",
    "/program",
    "/program/PKH",
    "/cek",
    "/cek-syarat",
    "/pengaduan",
    "/pengaduan/cek",
    "/statistik",
    "/login",
    "/daftar-relawan",
    "/statistik/metodologi",
    "/api/v1/docs",
    "/api/v1/referensi",
    "/halaman-yang-tidak-ada",
]


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (30, 140, 90)).save(out, "JPEG")
    return out.getvalue()


def _refresh_preview(app, folder: Path) -> int:
    """A refresh analysed by the command line and left in preview."""
    rows = [
        ["3273094404840001", "3273090106190001", "AXE WARGA", "P", "04/04/1984", "Gg. A 1"]
        + ["001", "001", ""]
    ]
    path = write_csv(folder / "axe.csv", rows)
    result = app.test_cli_runner().invoke(
        args=["refresh", "import", str(path), "--source", "Uji aksesibilitas"]
        + ["--kelurahan", TAMANSARI, "--user", "petugas"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.max(Refresh.id)))


def _recipient_list(app, folder: Path) -> dict[str, int]:
    """A recipient list validated by the command line: a valid row and a NIK typo."""
    with app.app_context():
        kelurahan = db.session.scalar(sa.select(Kelurahan).where(Kelurahan.code == TAMANSARI))
        people = db.session.scalars(
            sa.select(Person)
            .where(Person.kelurahan_id == kelurahan.id, Person.household_id.is_not(None))
            .order_by(Person.id)
            .limit(2)
        ).all()
        taken = set(db.session.scalars(sa.select(Person.nik).where(Person.nik.is_not(None))))
        typo = next(
            people[1].nik[:-1] + d for d in "0123456789" if people[1].nik[:-1] + d not in taken
        )
        rows = [
            [
                nik,
                person.household.kk_number,
                person.name,
                person.sex,
                f"{person.birth_date:%d/%m/%Y}",
                person.household.address,
                f"{person.household.rt.number:03d}",
                f"{person.household.rt.rw.number:03d}",
                "",
            ]
            for person, nik in ((people[0], people[0].nik), (people[1], typo))
        ]
        person_id = people[0].id
    path = write_csv(folder / "axe-daftar.csv", rows)
    result = app.test_cli_runner().invoke(
        args=["refresh", "import", str(path), "--source", "Daftar uji aksesibilitas"]
        + ["--kelurahan", TAMANSARI, "--user", "petugas", "--kind", "penerima"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        row = db.session.scalar(
            sa.select(SandingRow).where(SandingRow.review.in_(("usulan", "antre")))
        )
        return {"list": row.refresh_id, "list_row": row.id, "person": person_id}


@pytest.fixture(scope="module")
def pages(pages_app, tmp_path_factory):
    """The URLs each role visits, with the records their detail pages need created first."""
    refresh_id = _refresh_preview(pages_app, tmp_path_factory.mktemp("axe"))
    sanding_ids = _recipient_list(pages_app, tmp_path_factory.mktemp("axe-sanding"))
    with pages_app.app_context():
        session = db.session
        users = {u.username: u for u in session.scalars(sa.select(User))}
        kelurahan = session.scalar(sa.select(Kelurahan).where(Kelurahan.code == TAMANSARI))
        rt = session.scalar(
            sa.select(Rt)
            .join(volunteer_rt, volunteer_rt.c.rt_id == Rt.id)
            .where(volunteer_rt.c.user_id == users["relawan1"].id)
            .order_by(Rt.id)
        )
        draft = make_survey(session, users["relawan1"], rt, status="draft")
        submitted = make_survey(session, users["relawan1"], rt, status="submitted")
        complaint = make_complaint(session, kelurahan.id)
        program = session.scalar(
            sa.select(AidProgram).where(
                AidProgram.kelurahan_id == kelurahan.id, AidProgram.code == "BPNT"
            )
        )
        event = create_event(
            db.session,
            users["petugas"],
            program,
            period="Tahap aksesibilitas",
            event_date=date(2026, 11, 30),
            place="Aula Kelurahan Tamansari",
            goods="Beras 10 kg",
            amount=None,
            volunteer_ids=[users["relawan1"].id],
        )
        # The second recipient lives in relawan1's RTs: volunteers serve only their own RTs.
        in_volunteer_rts = (
            sa.select(DistributionRecipient)
            .join(Household, Household.id == DistributionRecipient.household_id)
            .join(volunteer_rt, volunteer_rt.c.rt_id == Household.rt_id)
            .where(
                DistributionRecipient.event_id == event.id,
                volunteer_rt.c.user_id == users["relawan1"].id,
            )
            .order_by(DistributionRecipient.id)
        )
        first, second = session.scalars(in_volunteer_rts.limit(2))
        handover, _ = record_handover(
            db.session,
            users["petugas"],
            first,
            HandoverInput(
                idempotency_key="a" * 32,
                photo=io.BytesIO(_jpeg()),
                signature=io.BytesIO(signature_png()),
            ),
        )
        api_client, _ = register_client(
            session,
            users["petugas"],
            ClientInput(
                name="Super-app warga", scopes=["status:read"], kelurahan_ids=[kelurahan.id]
            ),
            date(2026, 11, 30),
        )
        # One entry of each kind the audit viewer renders differently.
        session.execute(
            sa.insert(AuditLog),
            [
                {
                    "user_id": None,
                    "kelurahan_id": kelurahan.id,
                    "action": "security",
                    "entity": "login.failed",
                    "changes": {"username": "petugas"},
                    "ip": "10.0.0.9",
                },
                {
                    "api_client_id": api_client.id,
                    "kelurahan_id": kelurahan.id,
                    "action": "api_read",
                    "entity": "/api/v1/status",
                    "changes": {"client_name": "Super-app warga", "nik_hashes": ["a", "b"]},
                },
            ],
        )
        application = volunteer_services.apply(
            session,
            kelurahan,
            volunteer_services.ApplicationInput(
                full_name="Rina Aksesibilitas",
                campus="UNPAD, Ilmu Kesejahteraan Sosial",
                phone="0812 3333 4444",
                preferred_rw_id=None,
                availability="Sabtu pagi",
            ),
        )
        household_id = session.scalar(
            sa.select(Household.id).where(Household.kelurahan_id == kelurahan.id).limit(1)
        )
        from nutera.auth.services import create_user

        create_user(
            session, username="dinsos", full_name="Dinas Sosial", password="dinas-aksesibilitas",
            role="dinas", kelurahan=None,
        )  # fmt: skip
        pages_app.demo_accounts["dinsos"] = "dinas-aksesibilitas"
        session.commit()
        ids = {
            "draft": draft.id,
            "submitted": submitted.id,
            "rt": rt.id,
            "complaint": complaint.id,
            "code": complaint.code,
            "program": program.id,
            "event": event.id,
            "recipient": second.id,
            "handover": handover.id,
            "household": household_id,
            "volunteer": users["relawan1"].id,
            "refresh": refresh_id,
            "api_client": api_client.id,
            "application": application.id,
            **sanding_ids,
            "kelurahan": kelurahan.id,
        }
    volunteer = [
        "/dasbor",
        "/survei/",
        "/survei/rt/{rt}/kk",
        "/survei/{draft}/isi",
        "/survei/daftar",
        "/penyaluran/",
        "/penyaluran/{event}/serah-terima",
        "/penyaluran/{event}/serah-terima/{recipient}",
        "/relawan/panduan",
        "/akun",
        "/akun/kata-sandi",
        "/survei/luring",
        "/luring/kotak-keluar",
        "/luring/penyaluran",
        "/luring/serah-terima",
    ]
    staff = [
        "/dasbor",
        "/registri/kk",
        "/registri/kk/{household}",
        "/survei/daftar",
        "/survei/{submitted}",
        "/survei/verifikasi",
        "/survei/verifikasi/bersih",
        "/survei/tugas",
        "/survei/tugas/baru",
        "/pemutakhiran/",
        "/pemutakhiran/{refresh}",
        "/pemutakhiran/{refresh}/pemetaan",
        "/pemutakhiran/{refresh}/rincian/baru",
        "/pemutakhiran/{refresh}/rincian/konflik",
        "/pemutakhiran/{refresh}/rincian/ditolak",
        "/sanding/",
        "/sanding/daftar/{list}",
        "/sanding/daftar/{list}/validasi-ulang",
        "/sanding/antrean",
        "/sanding/baris/{list_row}",
        "/sanding/warga/{person}",
        "/sanding/ganda",
        "/meja-pengaduan",
        "/meja-pengaduan/{complaint}",
        "/kelola/program",
        "/kelola/program/{program}",
        "/kelola/program/{program}/aturan",
        "/kelola/sasaran/{program}",
        "/penyaluran/",
        "/penyaluran/baru",
        "/penyaluran/{event}",
        "/penyaluran/{event}/serah-terima",
        "/penyaluran/{event}/serah-terima/{recipient}",
        "/luring/kotak-keluar",
        "/luring/penyaluran",
        "/penyaluran/catatan/{handover}",
        "/penyaluran/catatan/{handover}/koreksi",
        "/admin/pengguna",
        "/admin/pengguna/baru",
        "/admin/pengguna/{volunteer}/penugasan",
        "/admin/audit",
        "/admin/audit?jenis=keamanan",
        "/kelola/api-klien/",
        "/kelola/api-klien/baru",
        "/kelola/api-klien/{api_client}",
        "/kelola/relawan",
        "/kelola/relawan/aktivitas",
        "/kelola/relawan/lamaran/{application}",
        "/pemerataan",
        "/statistik/metodologi",
        "/akun",
        "/akun/kata-sandi",
        "/akun/dua-langkah",
    ]
    admin = [
        "/dasbor",
        "/admin/pengguna",
        "/admin/pengguna/baru",
        "/admin/pengguna/{volunteer}/ubah",
        "/admin/keamanan",
        "/admin/kelurahan/",
        "/admin/audit",
        "/registri/kk",
        "/pemerataan",
        "/sanding/pengecualian",
    ]
    admin += ["/kota"]
    dinas = [
        "/kota",
        "/kota?urut=residents&arah=turun",
        "/registri/kk",
        "/registri/kk/{household}",
    ]
    dinas += ["/kelola/sasaran/{program}", "/pemerataan?kelurahan_id={kelurahan}"]
    dinas += ["/meja-pengaduan", "/meja-pengaduan/{complaint}"]
    public = PUBLIC + ["/pengaduan/{code}"]
    return {
        "public": (None, [p.format(**ids) for p in public]),
        "volunteer": ("relawan1", [p.format(**ids) for p in volunteer]),
        "staff": ("petugas", [p.format(**ids) for p in staff]),
        "admin": ("admin", [p.format(**ids) for p in admin]),
        "dinas": ("dinsos", [p.format(**ids) for p in dinas]),
    }


class _QuietAssets(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass

    def end_headers(self):
        self.send_header("Cache-Control", "max-age=3600")
        super().end_headers()


@pytest.fixture(scope="module")
def axe_url():
    """axe.min.js served over HTTP, so Chromium caches its compiled code between pages
    (injecting 650 kB inline costs a second of parsing on every page)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietAssets, directory=str(ASSETS)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/axe.min.js"
    server.shutdown()


def sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(lambda url: "/login" not in url)


SMALL_TARGETS = """() => {
  const small = [];
  const selector = 'nav a, nav button, form button, form .btn, form input:not([type=hidden]),'
    + ' form select, form textarea, main a.btn, main button';
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;  // hidden (collapsed menu)
    if (el.closest('[aria-hidden="true"]')) continue;  // e.g. the complaint honeypot
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') continue;
    let height = box.height;
    if (el.type === 'checkbox' || el.type === 'radio') {
      const label = el.closest('.form-check') || el.labels[0];
      height = label ? label.getBoundingClientRect().height : height;
    }
    if (height < 43.5) small.push(`${el.tagName.toLowerCase()} "${(el.textContent
      || el.name || el.id || '').trim().slice(0, 30)}" ${Math.round(height)}px`);
  }
  return small;
}"""


def audit(page, axe_url: str) -> list[str]:
    """Serious and critical axe violations of the page, one readable line each."""
    page.add_script_tag(url=axe_url)
    result = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations'], iframes: false})"
    )
    problems = []
    for violation in result["violations"]:
        if violation["impact"] in ("serious", "critical"):
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:3]]
            problems.append(
                f"{violation['id']} ({violation['impact']}, {len(violation['nodes'])}x): "
                f"{'; '.join(targets)}"
            )
    return problems


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("role", ["public", "volunteer", "staff", "admin", "dinas"])
def test_no_serious_accessibility_violation(
    browser, pages_server, pages_app, pages, axe_url, role, width
):
    username, paths = pages[role]
    # bypass_csp: the page's own Content-Security-Policy would refuse the injected axe script.
    context = browser.new_context(**WIDTHS[width], locale="id-ID", bypass_csp=True)
    page = context.new_page()
    if username:
        sign_in(page, pages_server, username, pages_app.demo_accounts[username])
    found = {}
    for path in paths:
        response = page.goto(pages_server + path)
        expected = 404 if "tidak-ada" in path else 200
        assert response.status == expected, f"{path}: HTTP {response.status}"
        # A redirect (to a sign-in or a required account step) would audit the wrong page.
        assert urlsplit(page.url).path == urlsplit(path).path, f"{path} became {page.url}"
        problems = audit(page, axe_url)
        if width == "phone":
            problems += [f"tap target {t}" for t in page.evaluate(SMALL_TARGETS)]
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > 360:
                problems.append(f"page is {scroll_width} px wide")
        if problems:
            found[path] = problems
    context.close()
    report = "\n".join(f"{path}\n  " + "\n  ".join(lines) for path, lines in found.items())
    assert not found, f"{role} at {width}:\n{report}"
