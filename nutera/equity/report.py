"""The lurah's monthly PDF: indicators, trend charts drawn in the PDF, worst RWs, cases."""

from datetime import date, datetime

import sqlalchemy as sa
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from sqlalchemy.orm import Session

from nutera.distribution.pdfs import _t
from nutera.equity.indicators import local_today, program_indicators
from nutera.equity.measures import ProgramIndicator
from nutera.equity.snapshots import TrendPoint, campaign_start, trend
from nutera.formatting import date_id, datetime_local, number_id
from nutera.models import TARGETING_DECISIONS, AidProgram, Kelurahan, TargetingCase
from nutera.timeutil import MONTHS, day_start_utc

NEXT_LINE = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}
TREND_WEEKS = 13


def parse_month(text: str | None, now: datetime, place: object = None) -> date | None:
    """'2026-11' -> 1 November 2026; empty -> this month in the kelurahan; else None."""
    if not text:
        today = local_today(now, place)
        return today.replace(day=1)
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        return None


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%".replace(".", ",")


def resolved_cases(session: Session, kelurahan_id: int, month: date) -> list[tuple[str, str, int]]:
    """(program code, decision, count) of targeting cases decided during the month."""
    kelurahan = session.get(Kelurahan, kelurahan_id)
    start, end = day_start_utc(month, kelurahan), day_start_utc(_next_month(month), kelurahan)
    rows = session.execute(
        sa.select(AidProgram.code, TargetingCase.decision, sa.func.count())
        .join(AidProgram, AidProgram.id == TargetingCase.program_id)
        .where(
            TargetingCase.kelurahan_id == kelurahan_id,
            TargetingCase.decision != "terbuka",
            TargetingCase.decided_at >= start,
            TargetingCase.decided_at < end,
        )
        .group_by(AidProgram.code, TargetingCase.decision)
        .order_by(AidProgram.code, TargetingCase.decision)
    )
    return [(code, decision, n) for code, decision, n in rows]


def _indicator_table(pdf: FPDF, indicators: list[ProgramIndicator]) -> None:
    headers = ["Program", "Cakupan", "Eksklusi", "Inklusi", "Gini RW", "RW terendah", "Data baru"]
    widths = [28, 22, 22, 22, 22, 40, 24]
    pdf.set_font("Helvetica", "B", 8)
    for header, width in zip(headers, widths, strict=True):
        pdf.cell(width, 6, header, border=1)
    pdf.ln()
    pdf.set_font("Helvetica", size=8)
    for i in indicators:
        low = i.lowest_rw
        cells = [
            i.code,
            _pct(i.total.coverage),
            _pct(i.total.exclusion_error),
            _pct(i.total.inclusion_error),
            "-" if i.gini is None else f"{i.gini:.2f}".replace(".", ","),
            f"RW {low[0]:02d} ({_pct(low[1])})" if low else "-",
            _pct(i.total.recent_share),
        ]
        for cell, width in zip(cells, widths, strict=True):
            pdf.cell(width, 6, _t(cell), border=1)
        pdf.ln()


def _chart(
    pdf: FPDF, title: str, points: list[TrendPoint], campaign: str | None, height: float = 42
) -> None:
    """Coverage (solid) and exclusion error (grey) per week, as lines on a 0-100% grid."""
    if pdf.get_y() + height + 16 > pdf.h - 15:
        pdf.add_page()
    pdf.set_font("Helvetica", "B", 9)
    pdf.cell(0, 6, _t(title), **NEXT_LINE)
    x0, y0, width = pdf.l_margin + 10, pdf.get_y() + 2, pdf.w - pdf.l_margin - pdf.r_margin - 12
    pdf.set_font("Helvetica", size=7)
    pdf.set_draw_color(200, 200, 200)
    for level in (0, 25, 50, 75, 100):
        y = y0 + height * (1 - level / 100)
        pdf.line(x0, y, x0 + width, y)
        pdf.text(x0 - 9, y + 1, f"{level}%")
    if not points:
        pdf.text(x0 + 4, y0 + height / 2, "Belum ada potret.")
    step = width / max(len(points) - 1, 1)

    def xy(index: int, value: float) -> tuple[float, float]:
        return x0 + index * step, y0 + height * (1 - value)

    for attr, colour in (("coverage", (25, 135, 84)), ("exclusion_error", (150, 150, 150))):
        pdf.set_draw_color(*colour)
        pdf.set_line_width(0.6)
        values = [getattr(p.counts, attr) for p in points]
        previous = None
        for index, value in enumerate(values):
            if value is None:
                previous = None
                continue
            here = xy(index, value)
            if previous:
                pdf.line(*previous, *here)
            previous = here
    pdf.set_line_width(0.2)
    pdf.set_draw_color(0, 0, 0)
    for index, point in enumerate(points):
        if index % max(len(points) // 6, 1) == 0:
            pdf.text(x0 + index * step - 4, y0 + height + 4, point.day.strftime("%d/%m"))
    weeks = [p.week for p in points]
    if campaign in weeks:
        x = x0 + weeks.index(campaign) * step
        pdf.set_draw_color(220, 53, 69)
        pdf.set_dash_pattern(dash=1, gap=1)
        pdf.line(x, y0, x, y0 + height)
        pdf.set_dash_pattern()
        pdf.set_text_color(220, 53, 69)
        pdf.text(x + 1, y0 + 3, "Kampanye survei mulai")
        pdf.set_text_color(0, 0, 0)
        pdf.set_draw_color(0, 0, 0)
    pdf.set_y(y0 + height + 7)
    pdf.set_font("Helvetica", size=7)
    pdf.cell(0, 4, "Garis hijau: cakupan. Garis abu-abu: kesalahan eksklusi.", **NEXT_LINE)
    pdf.ln(2)


def monthly_report(session: Session, kelurahan: Kelurahan, month: date, now: datetime) -> bytes:
    """The PDF bytes of the monthly equity report of one kelurahan."""
    indicators = program_indicators(session, kelurahan.id, local_today(now, kelurahan), now)
    start = campaign_start(session, kelurahan.id)
    campaign_week = None
    if start:
        year, week, _ = start.isocalendar()
        campaign_week = f"{year}-W{week:02d}"
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_creator("Nutera")
    pdf.set_title(_t(f"Laporan Pemerataan Bantuan {kelurahan.name}"))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, "Laporan Bulanan Tingkat Pemerataan Bantuan", align="C", **NEXT_LINE)
    pdf.set_font("Helvetica", size=10)
    month_name = f"{MONTHS[month.month - 1]} {month.year}"
    pdf.cell(0, 6, _t(f"Kelurahan {kelurahan.name} - {month_name}"), align="C", **NEXT_LINE)
    pdf.set_font("Helvetica", size=8)
    made = datetime_local(now, kelurahan)
    pdf.cell(0, 5, _t(f"Dibuat {made} oleh Nutera"), align="C", **NEXT_LINE)
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, "1. Indikator saat ini", **NEXT_LINE)
    _indicator_table(pdf, indicators)
    pdf.set_font("Helvetica", size=7)
    pdf.multi_cell(
        0,
        4,
        "Cakupan: penerima yang memenuhi syarat dibagi keluarga yang memenuhi syarat. "
        "Eksklusi: keluarga memenuhi syarat yang belum menerima. Inklusi: penerima yang tidak "
        "memenuhi syarat. Gini RW: 0 berarti cakupan sama rata antar-RW, 1 sangat timpang. "
        "Data baru: keluarga yang diverifikasi survei atau dikonfirmasi pemutakhiran dalam 6 "
        "bulan terakhir.",
        **NEXT_LINE,
    )
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, "2. Tren mingguan", **NEXT_LINE)
    if start:
        pdf.set_font("Helvetica", size=8)
        pdf.cell(0, 5, _t(f"Kampanye survei dimulai {date_id(start)}."), **NEXT_LINE)
    month_end = _next_month(month)
    for indicator in indicators:
        points = [
            p for p in trend(session, kelurahan.id, indicator.program_id) if p.day < month_end
        ]
        _chart(pdf, f"{indicator.code} - {indicator.name}", points[-TREND_WEEKS:], campaign_week)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, "3. RW dengan cakupan terendah", **NEXT_LINE)
    pdf.set_font("Helvetica", size=8)
    for indicator in indicators:
        worst = sorted(
            (r for r in indicator.rws if r.counts.eligible),
            key=lambda r: (r.counts.coverage, r.rw_number),
        )[:5]
        text = "; ".join(
            f"RW {r.rw_number:02d}: {_pct(r.counts.coverage)} "
            f"({number_id(r.counts.excluded)} keluarga belum menerima)"
            for r in worst
        )
        pdf.multi_cell(0, 5, _t(f"{indicator.code}: {text or 'belum ada data'}"), **NEXT_LINE)
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, _t(f"4. Kasus tinjauan sasaran yang diputuskan ({month_name})"), **NEXT_LINE)
    pdf.set_font("Helvetica", size=8)
    cases = resolved_cases(session, kelurahan.id, month)
    total = sum(n for _, _, n in cases)
    pdf.cell(0, 5, f"Jumlah kasus diputuskan: {number_id(total)}", **NEXT_LINE)
    for code, decision, n in cases:
        label = TARGETING_DECISIONS.get(decision, decision)
        pdf.cell(0, 5, _t(f"{code} - {label}: {number_id(n)}"), **NEXT_LINE)
    return bytes(pdf.output())
