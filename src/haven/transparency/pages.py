"""The public transparency pages: the report (`/transparency`, with CSV and JSON downloads) and
the log in the open (`/transparency/log`). Everything here is public and built from the ledger.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from haven import i18n
from haven.clock import Clock
from haven.i18n import N_
from haven.runtime import Runtime
from haven.transparency import service
from haven.transparency.charts import bar_chart
from haven.transparency.figures import Period, parse_period, quarter_of
from haven.transparency.labels import displayed_rows
from haven.transparency.logview import log_page_context
from haven.transparency.report import Report, Row, band_label
from haven.web.deps import ClockDep, SessionDep, StateDep
from haven.web.i18n import request_locale
from haven.web.page_route import PageRoute
from haven.web.templating import environment, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
downloads = APIRouter(tags=["transparency"])

PeriodQuery = Annotated[
    str | None,
    Query(max_length=40, description="A quarter (2026Q4) or a range (2026-10-01..2026-12-31)."),
]
CHARTED = (
    ("by_agency_category", N_("Requests by agency category")),
    ("by_legal_basis", N_("Requests by legal basis")),
    ("outcomes", N_("Outcomes")),
    ("notices", N_("Notices to the people concerned")),
)
TABLED = (
    ("requests", N_("Requests")),
    ("people", N_("People")),
    ("time_to_decision", N_("Time to decision")),
    ("registers", N_("Registers in force at the period's end")),
)
CSV_TYPE = "text/csv; charset=utf-8"


def _period(text: str | None, clock: Clock) -> Period:
    return parse_period(text) if text else quarter_of(clock.now())


def _report(session: Session, state: Runtime, clock: Clock, period: str | None) -> Report:
    """The report for the asked period at the latest checkpoint (cached per checkpoint)."""
    return service.report_from_database(
        session, _period(period, clock), state.settings.transparency_band_width, state.report_cache
    )


def report_context(report: Report, locale: str = i18n.DEFAULT_LOCALE) -> dict[str, Any]:
    """What the report page shows: each charted section with its chart and its table.

    Section titles and row labels are in `locale` (the chart's too); the figures are data.
    """
    gettext = i18n.translations(locale).gettext

    def rows(name: str) -> list[Row]:
        return displayed_rows(report.section(name), gettext)

    period = report.figures.period
    return {
        "period": period,
        "checkpoint": report.checkpoint.as_dict(),
        "band_width": report.band_width,
        "band": band_label(report.band_width),
        "charted": [
            {
                "id": name,
                "title": title,
                "rows": rows(name),
                "chart": bar_chart(f"chart-{name}", gettext(title), rows(name)),
            }
            for name, title in CHARTED
        ],
        "tabled": [{"id": n, "title": t, "rows": rows(n)} for n, t in TABLED],
        "policy_versions": report.figures.policy_versions,
        "query": f"period={period.label}",
    }


def standalone_html(report: Report) -> str:
    """The report page as one HTML document (for `haven report transparency --format html`)."""
    template = environment().get_template("transparency/report.html")
    context = {"lang": "en", "text_direction": "ltr", "locale": "en", "languages_menu": []}
    return template.render({**context, **report_context(report)})


@router.get("/transparency")
def transparency_report(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    state: StateDep,
    period: PeriodQuery = None,
) -> Response:
    """The public report for a period (this quarter by default)."""
    report = _report(session, state, clock, period)
    context = report_context(report, request_locale(request))
    return render(request, "transparency/report.html", context, translated=True)


@downloads.get("/transparency/report.json")
def transparency_json(
    session: SessionDep, clock: ClockDep, state: StateDep, period: PeriodQuery = None
) -> Response:
    """The report as JSON (docs/transparency-schema.md)."""
    report = _report(session, state, clock, period)
    return Response(report.json_text(), media_type="application/json")


@downloads.get("/transparency/report.csv")
def transparency_csv(
    session: SessionDep, clock: ClockDep, state: StateDep, period: PeriodQuery = None
) -> Response:
    """The report as CSV, one figure a line (docs/transparency-schema.md)."""
    report = _report(session, state, clock, period)
    name = f"haven-transparency-{report.figures.period.label.replace('..', '_')}.csv"
    return Response(
        report.csv_text(),
        media_type=CSV_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/transparency/log")
def transparency_log(
    request: Request,
    session: SessionDep,
    state: StateDep,
    start: Annotated[int | None, Query(ge=0, alias="from")] = None,
) -> Response:
    """The latest checkpoint, its cosignatures, the log's key, how to verify, and the entries."""
    vkey = state.integrator.signer.vkey
    context = log_page_context(session, vkey, state.settings.base_url, start)
    return render(request, "transparency/log.html", context, translated=True)
