"""What the public pages say when something goes wrong, as translatable messages.

Domain errors carry English messages written for the API (and sometimes details like a date or
a limit). The pages show instead one of these sentences, chosen by the error's class, in the
person's language. Each is marked with N_ so extraction finds it; translate() shows it.
"""

from __future__ import annotations

from haven.errors import Conflict, Forbidden, Gone, HavenError, Invalid, NotFound
from haven.i18n import N_
from haven.scheduling import availability, booking
from haven.scheduling.claiming import SlotTaken
from haven.scheduling.page_parts import OfficeNotFoundBySlug, ServiceNotFoundBySlug
from haven.scheduling.week import InvalidWeek
from haven.vault.errors import PersonGone

ADDRESS_UNKNOWN = N_("This address is not one Haven knows. Please start again.")
CHOOSE_LISTED_TIME = N_("Please choose one of the times below.")
BOOKING_FORM_GONE = N_("This booking form has expired. Please choose a time again.")

# Most specific first: the first class in an error's MRO found here decides.
_BY_ERROR: dict[type[HavenError], str] = {
    OfficeNotFoundBySlug: N_("There is no office at this address."),
    ServiceNotFoundBySlug: N_("This office offers no such service."),
    InvalidWeek: N_("The week in the address must be a date like 2026-12-07."),
    SlotTaken: N_("That time was just taken, please choose another."),
    availability.TooSoon: N_("That time is too soon to book. Please choose a later time."),
    availability.TooFarAhead: N_(
        "That time is too far ahead to book yet. Please choose an earlier time."
    ),
    availability.OfficeClosed: N_("The office is closed that day. Please choose another day."),
    availability.OutsideOpeningHours: N_(
        "The office is not open at that time. Please choose one of the times shown."
    ),
    availability.SlotRuleBroken: N_(
        "Appointments do not start at that time. Please choose one of the times shown."
    ),
    booking.AppointmentNotFound: N_(
        "No appointment matches this link. Check that the whole link was copied."
    ),
    booking.AppointmentCancelled: N_(
        "This appointment was cancelled. Please book a new time instead."
    ),
    booking.AppointmentOver: N_(
        "This appointment has already started or taken place, so it can no longer be changed."
    ),
    booking.HoldDoesNotMatch: N_(
        "The time you chose no longer matches this form. Please choose the time again."
    ),
    PersonGone: N_("The details of this appointment have been deleted, as our rules require."),
    Forbidden: N_(
        "This form has expired or came from another site. Please go back, reload the page "
        "and try again."
    ),
    NotFound: N_("We could not find what this address points to."),
    Gone: N_("This is no longer available."),
    Conflict: N_("Something changed while you were on this page. Please try again."),
    Invalid: N_("Something in your request was not right. Please start again."),
}
SOMETHING_WENT_WRONG = N_("We could not do that. Please start again.")


def problem_message(error: HavenError) -> str:
    """The public sentence (an untranslated msgid) for a domain error: its own
    `public_message` when a page's error has one, else by its class."""
    own = getattr(error, "public_message", None)
    if isinstance(own, str):
        return own
    for cls in type(error).__mro__:
        if cls in _BY_ERROR:
            return _BY_ERROR[cls]
    return SOMETHING_WENT_WRONG
