"""Numbers, dates and statuses formatted for people, shared by the dashboard and audit pages.

The formatting runs in Python when state is loaded (strings reach the browser ready to
show), so every page says "3 minutes ago" and "27 Nov 2026, 14:05 UTC" the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime

import reflex as rx

from compliance_app.models.types import utcnow
from compliance_app.timestamps import iso_utc
from compliance_app.vocabulary import PROVIDER_LABELS

__all__ = ["PROVIDER_LABELS", "iso_utc"]  # re-exported: pages take every display format from here

STATUS_COLORS: dict[str, str] = {
    "PASS": "green",
    "FAIL": "red",
    "RISK_ACCEPTED": "amber",
    "ERROR": "gray",
    "COMPLETED": "green",
    "RUNNING": "blue",
    "PENDING": "blue",
    "FAILED": "red",
    "NOT_APPLICABLE": "gray",
}
STATUS_LABELS: dict[str, str] = {"RISK_ACCEPTED": "Risk accepted", "NOT_APPLICABLE": "Not applicable",
                                  "ERROR": "Could not run"}
SEVERITY_COLORS: dict[str, str] = {"critical": "red", "high": "orange", "medium": "amber", "low": "gray"}


def status_label(status: str | None) -> str:
    if not status:
        return ""
    return STATUS_LABELS.get(status, status.capitalize())


def when(dt: datetime | None) -> str:
    """'27 Nov 2026, 14:05 UTC' (empty for None)."""
    if dt is None:
        return ""
    dt = dt.astimezone(UTC) if dt.tzinfo else dt.replace(tzinfo=UTC)
    return f"{dt.day} {dt:%b %Y, %H:%M} UTC"


def local_time(iso: rx.Var | str, utc_text: rx.Var | str, *, date_only: bool = False,
               **props: object) -> rx.Component:
    """A moment in the reader's own locale and time zone, with the UTC time on hover: every page
    shows dates this one way. `iso` comes from iso_utc(), `utc_text` from when() (or day() with
    `date_only`, for a day such as an expiry: written in the locale but not moved to another
    time zone, so an expiry at midnight UTC does not read as the day before in America)."""
    iso = rx.Var.create(iso)
    style = '{dateStyle: "medium", timeZone: "UTC"}' if date_only else '{dateStyle: "medium", timeStyle: "short"}'
    shown = rx.Var(
        _js_expr=f"(({iso}) ? new Date({iso}).toLocaleString(undefined, {style}) : \"\")",
        _var_type=str,
        _var_data=iso._get_all_var_data(),  # keeps the state (or foreach row) it reads from
    )
    return rx.el.time(shown, date_time=iso, title=utc_text, **props)


def day(dt: datetime | None) -> str:
    """'27 Nov 2026' (empty for None): a date without a time, such as an expiry."""
    if dt is None:
        return ""
    return f"{dt.day} {dt:%b %Y}"


def ago(dt: datetime | None, now: datetime | None = None) -> str:
    """'just now', '5 minutes ago', '3 hours ago', 'yesterday', '12 days ago'."""
    if dt is None:
        return "never"
    dt = dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    seconds = int(((now or utcnow()) - dt).total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in (("minute", 60), ("hour", 3600), ("day", 86400)):
        n = seconds // size
        upper = {"minute": 60, "hour": 24, "day": 10**9}[unit]
        if n < upper:
            if unit == "day" and n == 1:
                return "yesterday"
            return f"{n} {unit}{'' if n == 1 else 's'} ago"
    return when(dt)


def duration(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return ""
    seconds = max(0, int((end - start).total_seconds()))
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


def plural(n: int, noun: str, plural_noun: str | None = None) -> str:
    """'1 audit', '2 audits', '0 audits' (numbers grouped: '1,300 checks')."""
    return f"{n:,} {noun if n == 1 else (plural_noun or noun + 's')}"


def number(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def status_badge(status: rx.Var, label: rx.Var | None = None) -> rx.Component:
    """A colored badge for an evidence or audit status var."""
    color = rx.match(status, *[(k, v) for k, v in STATUS_COLORS.items()], "gray")
    return rx.badge(label if label is not None else status, color_scheme=color, variant="soft", radius="full")


def severity_badge(severity: rx.Var) -> rx.Component:
    color = rx.match(severity, *[(k, v) for k, v in SEVERITY_COLORS.items()], "gray")
    return rx.badge(severity, color_scheme=color, variant="outline")


def score_ring(figure: rx.Component, fill: rx.Var | str, disc: str, ring: str, **props: object) -> rx.Component:
    """The round score gauge: a conic-gradient `fill` ring of width `ring` around a plain disc
    (`disc` across) holding the figure."""
    return rx.box(
        rx.center(figure, width=disc, height=disc, border_radius="50%", background=rx.color("gray", 1)),
        padding=ring,
        border_radius="50%",
        background=fill,
        **props,
    )


#: Score bands, shared by every gauge (dashboard, share page): green from 80, amber from 60.
SCORE_GOOD = 80
SCORE_FAIR = 60


def score_color(score: rx.Var) -> rx.Var:
    """Colour of a score held in a state var (client-side)."""
    return rx.cond(
        score >= SCORE_GOOD,
        rx.color("green", 9),
        rx.cond(score >= SCORE_FAIR, rx.color("amber", 9), rx.color("red", 9)),
    )


def score_color_css(score: int | None) -> str:
    """Colour of a score known on the server, as a CSS variable (same bands as score_color)."""
    value = score or 0
    tone = "green" if value >= SCORE_GOOD else "amber" if value >= SCORE_FAIR else "red"
    return f"var(--{tone}-9)"
