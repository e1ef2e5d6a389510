"""PDFs of a distribution: invitations with QR codes, handover receipts, the event report."""

from collections.abc import Iterable
from datetime import datetime

import qrcode
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from nutera.distribution.queries import Progress, ReportRow
from nutera.distribution.search import invitation_code
from nutera.formatting import date_id, number_id, rupiah
from nutera.identity import mask_name, mask_nik
from nutera.models import PROXY_RELATIONS, DistributionEvent, Handover
from nutera.storage import stored_path
from nutera.timeutil import format_datetime, zone_label

NEXT_LINE = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}


def _t(text: object) -> str:
    """Text the PDF core fonts can draw (Latin-1); anything else becomes '?'."""
    return str(text if text is not None else "-").encode("latin-1", "replace").decode("latin-1")


def when(value: datetime | None, place: object = None) -> str:
    """A stored instant in the kelurahan's zone, with WIB/WITA/WIT."""
    return format_datetime(value, place)


def _new_pdf(orientation: str = "P", page_format: str | tuple = "A4") -> FPDF:
    """An empty document with the house font."""
    pdf = FPDF(orientation=orientation, unit="mm", format=page_format)
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.set_creator("Nutera")
    pdf.set_font("Helvetica", size=9)
    return pdf


def time_slot(event: DistributionEvent) -> str | None:
    """The invited hours in the kelurahan's own time, e.g. '08.00-11.00 WITA', or None."""
    if event.time_start is None or event.time_end is None:
        return None
    return f"{event.time_start:%H.%M}-{event.time_end:%H.%M} {zone_label(event.kelurahan)}"


def _event_lines(event: DistributionEvent) -> list[tuple[str, str]]:
    """The event details as (label, value) pairs."""
    goods = event.goods + (f" ({rupiah(event.amount)})" if event.amount else "")
    slot = time_slot(event)
    return [
        ("Program", event.program.name),
        ("Tahap", event.period),
        ("Tanggal", date_id(event.event_date)),
        *([("Jam", slot)] if slot else []),
        ("Tempat", event.place),
        ("Bantuan", goods),
    ]


def _title(pdf: FPDF, title: str, subtitle: str, size: int) -> None:
    """A centred title and subtitle."""
    pdf.set_font("Helvetica", "B", size)
    pdf.cell(0, 8, title, align="C", **NEXT_LINE)
    pdf.set_font("Helvetica", size=9)
    pdf.cell(0, 5, _t(subtitle), align="C", **NEXT_LINE)
    pdf.ln(2)


def _pairs(pdf: FPDF, pairs: list[tuple[str, str]], label_width: float = 32) -> None:
    """Label: value lines."""
    for label, value in pairs:
        pdf.cell(label_width, 5, _t(label))
        pdf.multi_cell(0, 5, _t(f": {value}"), **NEXT_LINE)


def invitations_pdf(
    event: DistributionEvent,
    kelurahan_name: str,
    recipients: Iterable[tuple[str, str, str, str]],
) -> bytes:
    """Four invitations per A4 page: masked name, house, event details, hours, place, QR code."""
    pdf = _new_pdf()
    pdf.set_auto_page_break(auto=False)
    width, height = 95, 138
    for index, (name, rt_label, address, token) in enumerate(recipients):
        if index % 4 == 0:
            pdf.add_page()
        x = 10 + (index % 2) * width
        y = 10 + (index // 2 % 2) * height
        pdf.rect(x, y, width - 5, height - 5)
        pdf.set_xy(x + 4, y + 4)
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(width - 13, 6, "UNDANGAN PENGAMBILAN BANTUAN", align="C")
        pdf.set_xy(x + 4, y + 11)
        pdf.set_font("Helvetica", size=9)
        pdf.cell(width - 13, 5, _t(f"Kelurahan {kelurahan_name}"), align="C")
        pdf.set_left_margin(x + 4)
        pdf.set_xy(x + 4, y + 19)
        pdf.set_font("Helvetica", "B", 10)
        pdf.multi_cell(width - 13, 5, _t(f"Kepada: {mask_name(name)}"), **NEXT_LINE)
        pdf.set_font("Helvetica", size=9)
        house = f"{address}, {rt_label}" if address else rt_label
        pdf.multi_cell(width - 13, 5, _t(house), **NEXT_LINE)
        for label, value in _event_lines(event):
            pdf.multi_cell(width - 13, 4.5, _t(f"{label}: {value}"), **NEXT_LINE)
        qr = qrcode.make(token, box_size=6, border=2).get_image()
        pdf.image(qr, x=x + (width - 5 - 40) / 2, y=y + 74, w=40, h=40)
        pdf.set_xy(x + 4, y + 114)
        pdf.set_font("Courier", size=8)
        pdf.cell(width - 13, 3, _t(f"Kode undangan: {invitation_code(token)}"), align="C")
        pdf.set_font("Helvetica", size=9)
        pdf.set_xy(x + 4, y + 118)
        pdf.multi_cell(
            width - 13,
            4,
            "Tunjukkan undangan ini beserta KTP atau KK kepada "
            "petugas. Undangan tidak boleh dipindahtangankan.",
            align="C",
        )
        pdf.set_left_margin(10)
    if pdf.page == 0:
        pdf.add_page()
        pdf.cell(0, 6, "Belum ada penerima pada acara ini.")
    return bytes(pdf.output())


def receipt_pdf(
    handover: Handover,
    event: DistributionEvent,
    recipient_name: str,
    recipient_nik: str | None,
    officer_name: str,
) -> bytes:
    """The tanda terima of one handover, with photo, signature and its chain hash."""
    pdf = _new_pdf(page_format=(148, 210))  # A5
    pdf.add_page()
    _title(pdf, "TANDA TERIMA BANTUAN", f"Nomor: {event.id}-{handover.seq}", 13)
    _pairs(pdf, _event_lines(event))
    _pairs(
        pdf,
        [
            ("Penerima", recipient_name),
            ("NIK", mask_nik(recipient_nik) if recipient_nik else "-"),
            ("Diterima pada", when(handover.received_at, event.kelurahan)),
            ("Petugas", officer_name),
        ],
    )
    if handover.proxy_name:
        relation = PROXY_RELATIONS.get(handover.proxy_relation or "", "-")
        _pairs(
            pdf,
            [
                (
                    "Diwakilkan",
                    f"{handover.proxy_name} ({relation}), NIK "
                    f"{mask_nik(handover.proxy_nik or '')}",
                )
            ],
        )
    if handover.latitude is not None:
        _pairs(pdf, [("Lokasi GPS", f"{handover.latitude}, {handover.longitude}")])
    if handover.corrects_id:
        _pairs(pdf, [("Koreksi", f"atas catatan #{handover.corrects_id}: {handover.note}")])
    top = pdf.get_y() + 3
    pdf.image(
        str(stored_path(handover.photo_path)), x=12, y=top, h=45, keep_aspect_ratio=True, w=60
    )
    pdf.set_xy(78, top)
    if handover.signature_path:
        pdf.cell(55, 5, "Tanda tangan penerima:", **NEXT_LINE)
        pdf.image(
            str(stored_path(handover.signature_path)),
            x=78,
            y=top + 6,
            w=55,
            h=25,
            keep_aspect_ratio=True,
        )
    else:
        pdf.multi_cell(55, 5, "Penerima tidak dapat menandatangani: cap jempol dicatat.")
    pdf.set_xy(12, top + 50)
    pdf.set_font("Helvetica", size=7)
    pdf.multi_cell(0, 4, _t(f"Kode verifikasi (SHA-256 rantai): {handover.hash}"), **NEXT_LINE)
    return bytes(pdf.output())


class _ReportPdf(FPDF):
    """Landscape report with a repeated table header."""

    columns = (
        ("No", 9),
        ("Nama penerima", 52),
        ("NIK", 32),
        ("RT/RW", 14),
        ("Diterima pada", 32),
        ("Petugas", 36),
        ("Keterangan", 40),
        ("Foto", 22),
        ("Tanda tangan", 40),
    )
    title_text = ""

    def header(self) -> None:
        self.set_font("Helvetica", "B", 8)
        self.cell(0, 5, _t(self.title_text), align="R", **NEXT_LINE)
        if self.page > 1:
            self.table_header()

    def table_header(self) -> None:
        self.set_font("Helvetica", "B", 8)
        self.set_fill_color(230, 230, 230)
        for label, width in self.columns:
            self.cell(width, 6, label, border=1, fill=True)
        self.ln(6)
        self.set_font("Helvetica", size=8)

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font("Helvetica", size=7)
        self.cell(0, 5, f"Halaman {self.page_no()}/{{nb}}", align="C")


def report_pdf(
    event: DistributionEvent, kelurahan_name: str, totals: Progress, rows: Iterable[ReportRow]
) -> bytes:
    """The berita acara serah terima: totals, every recipient with time, photo and signature."""
    pdf = _ReportPdf(orientation="L", unit="mm", format="A4")
    pdf.title_text = f"Berita acara {event.program.name} - {event.period}"
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.alias_nb_pages()
    pdf.add_page()
    _title(pdf, "BERITA ACARA SERAH TERIMA BANTUAN", f"Kelurahan {kelurahan_name}", 14)
    _pairs(
        pdf,
        _event_lines(event)
        + [
            ("Penerima terdaftar", number_id(totals.total)),
            ("Sudah menerima", number_id(totals.received)),
            ("Belum menerima", number_id(totals.total - totals.received)),
        ],
    )
    pdf.ln(2)
    pdf.table_header()
    row_height = 12
    for row in rows:
        if pdf.will_page_break(row_height):
            pdf.add_page()
        x, y = pdf.get_x(), pdf.get_y()
        remark = []
        if row.proxy_name:
            remark.append(f"Diwakilkan: {row.proxy_name}")
        if row.thumbprint:
            remark.append("Cap jempol")
        if row.corrected:
            remark.append("Dikoreksi")
        if row.received_at is None:
            remark.append("Belum menerima")
        values = (
            str(row.number),
            row.name,
            mask_nik(row.nik) if row.nik else "-",
            row.rt_label,
            when(row.received_at, event.kelurahan),
            row.officer or "-",
            "; ".join(remark),
        )
        for (_, width), value in zip(pdf.columns, values, strict=False):
            pdf.cell(width, row_height, _t(value)[:60], border=1)
        photo_x = x + sum(width for _, width in pdf.columns[:7])
        pdf.cell(pdf.columns[7][1], row_height, "", border=1)
        pdf.cell(pdf.columns[8][1], row_height, "", border=1)
        if row.photo_thumb:
            pdf.image(str(stored_path(row.photo_thumb)), x=photo_x + 1, y=y + 1, h=10)
        if row.signature_thumb:
            pdf.image(str(stored_path(row.signature_thumb)), x=photo_x + 23, y=y + 1, h=10)
        pdf.set_xy(x, y + row_height)
    pdf.ln(4)
    pdf.set_font("Helvetica", size=8)
    pdf.multi_cell(
        0,
        4,
        _t(
            f"Rantai bukti: {event.chain_length} catatan, hash terakhir "
            f"{event.chain_head}. Periksa dengan: flask --app nutera "
            f"distribution verify {event.id}"
        ),
        **NEXT_LINE,
    )
    pdf.ln(6)
    pdf.set_font("Helvetica", size=9)
    pdf.cell(130, 5, "Petugas penyalur,")
    pdf.cell(0, 5, _t(f"Lurah {kelurahan_name},"), **NEXT_LINE)
    pdf.ln(18)
    pdf.cell(130, 5, "(..............................)")
    pdf.cell(0, 5, "(..............................)", **NEXT_LINE)
    return bytes(pdf.output())
