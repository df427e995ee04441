"""The report's row labels and withheld values as people read them, in the page's language.

The keys (``denied``, ``not_required``, ``withheld``...) are data: the CSV and JSON downloads keep
them in English as documented. Only the page shows them through these translated labels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from haven.i18n import N_
from haven.transparency.report import Row

WITHHELD = "withheld"

ITEM_LABELS: dict[str, str] = {
    "received": N_("received"),
    "rejected_invalid": N_("rejected invalid"),
    "denied": N_("denied"),
    "narrowed": N_("narrowed"),
    "approved": N_("approved"),
    "routed": N_("routed"),
    "pending": N_("pending"),
    "produced": N_("produced"),
    "share_produced": N_("share produced"),
    "specified": N_("specified"),
    "sent": N_("sent"),
    "delayed": N_("delayed"),
    "not_required": N_("not required"),
    "decided": N_("decided"),
    "median_hours": N_("median hours"),
    "p90_hours": N_("p90 hours"),
    "matching_agreements_in_force": N_("matching agreements in force"),
    "injunctions_in_force": N_("injunctions in force"),
    "policy_versions": N_("policy versions"),
    # Agency categories (haven.disclosure.policy.facts.AgencyCategory).
    "federal_law_enforcement": N_("federal law enforcement"),
    "immigration_enforcement": N_("immigration enforcement"),
    "tax": N_("tax"),
    "benefits_program": N_("benefits program"),
    "court": N_("court"),
    "health": N_("health"),
    "other": N_("other"),
    # Legal bases (haven.disclosure.policy.facts.LegalBasis).
    "consent": N_("consent"),
    "routine_use": N_("routine use"),
    "law_enforcement": N_("law enforcement"),
    "health_safety_emergency": N_("health or safety emergency"),
    "health_safety": N_("health or safety emergency"),
    "court_order": N_("court order"),
    "required_by_law": N_("required by law"),
    "computer_matching": N_("computer matching"),
}
VALUE_LABELS: dict[str, str] = {WITHHELD: N_("withheld")}
# Statuses shown on /my (AppointmentStatus) and /transparency/policy (VersionStatus).
STATUS_LABELS: dict[str, str] = {
    "booked": N_("booked"),
    "checked_in": N_("checked in"),
    "served": N_("served"),
    "no_show": N_("did not come"),
    "cancelled": N_("cancelled"),
    "proposed": N_("proposed"),
    "published": N_("published"),
    "active": N_("active"),
    "superseded": N_("superseded"),
}


def item_label(item: str, gettext: Callable[[str], str]) -> str:
    """A row's label in the catalogue's language; an unknown key is shown as it is, spaced."""
    known = ITEM_LABELS.get(item)
    return gettext(known) if known else item.replace("_", " ")


def status_label(status: str) -> str:
    """A status's message id (English), for the template to translate; unknown ones spaced."""
    return STATUS_LABELS.get(status, status.replace("_", " "))


def value_label(value: str, gettext: Callable[[str], str]) -> str:
    """A shown value in the catalogue's language: words are translated, numbers stay."""
    known = VALUE_LABELS.get(value)
    return gettext(known) if known else value


def displayed_rows(rows: Sequence[Row], gettext: Callable[[str], str]) -> list[Row]:
    """The rows as the page shows them: labels and withheld values translated, figures kept."""
    return [
        replace(row, item=item_label(row.item, gettext), value=value_label(row.value, gettext))
        for row in rows
    ]
