"""What an agency may send: a disclosure request's fields, checked strictly before anything
is stored. Unknown fields are refused (that is how an identifier Haven must never hold, such
as a date of birth or an immigration status, would slip in), and free text is limited to
letters, digits and ordinary punctuation, so markup, quotes and statement separators are
refused with a message naming the field rather than stored."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from haven.disclosure.errors import RequestInvalid
from haven.disclosure.policy.facts import (
    DataElement,
    DocumentKind,
    LegalBasis,
    OfficialLevel,
    PurposeCategory,
)

MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_DOCUMENT_BYTES = 1024 * 1024
MAX_INDIVIDUALS = 50
# Letters (any script), digits, spaces and the punctuation names, titles and citations use.
_FIELD_NAME = re.compile(r"[a-z0-9_.]{1,80}")
_PLAIN_TEXT = re.compile(r"[\w .,'()\-/&:#§+@]*")


def _plain(value: str) -> str:
    text = value.strip()
    if not _PLAIN_TEXT.fullmatch(text):
        raise ValueError(
            "use letters, digits, spaces and . , ' ( ) - / & : # § + @ only "
            "(markup, quotes, semicolons and control characters are refused)"
        )
    return text


PlainLine = Annotated[str, Field(max_length=200), AfterValidator(_plain)]
PlainText = Annotated[str, Field(max_length=2000), AfterValidator(_plain)]


class IndividualIn(BaseModel):
    """One person, as the agency identifies them: a name and a way to reach them."""

    model_config = ConfigDict(extra="forbid")

    name: PlainLine = Field(min_length=2)
    phone: Annotated[str, Field(max_length=40, pattern=r"^[0-9+() .\-]*$")] | None = None
    email: (
        Annotated[str, Field(max_length=254, pattern=r"^[^@\s<>;\"']+@[^@\s<>;\"']+$")] | None
    ) = None


class BulkScopeIn(BaseModel):
    """A request for "everyone" by criteria instead of by name; recorded so it can be refused."""

    model_config = ConfigDict(extra="forbid")

    office_id: int = Field(ge=1)
    starts_from: datetime
    ends_before: datetime

    @field_validator("starts_from", "ends_before")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("give a time zone offset (UTC: Z)")
        return value


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: DocumentKind
    signed_by: PlainLine = ""
    signer_title: PlainLine = ""
    issued_by: PlainLine = ""
    media_type: Annotated[str, Field(pattern=r"^[a-z]+/[a-z0-9.+\-]+$", max_length=100)] = (
        "application/pdf"
    )
    content_base64: Annotated[str, Field(max_length=MAX_DOCUMENT_BYTES * 4 // 3 + 4)]

    def content(self) -> bytes:
        try:
            return base64.b64decode(self.content_base64, validate=True)
        except binascii.Error:
            raise RequestInvalid(
                "the document is not valid base64", field="document.content_base64"
            ) from None


class DisclosureRequestIn(BaseModel):
    """The body of ``POST /api/v1/disclosure-requests`` (and what paper intake fills in)."""

    model_config = ConfigDict(extra="forbid")

    official_name: PlainLine = Field(min_length=2)
    official_title: PlainLine = Field(min_length=2)
    official_level: OfficialLevel
    legal_basis: LegalBasis
    basis_citation: PlainLine = ""
    purpose: PurposeCategory
    records_named: PlainText = ""
    activity: PlainText = ""
    crime_serious_or_violent: bool = False
    subject_indicted_or_convicted: bool = False
    imminent_harm: PlainText = ""
    matching_agreement_id: int | None = Field(default=None, ge=1)
    office_id: int | None = Field(default=None, ge=1)
    individuals: list[IndividualIn] = Field(default_factory=list, max_length=MAX_INDIVIDUALS)
    bulk: BulkScopeIn | None = None
    data_elements: list[DataElement] = Field(min_length=1, max_length=len(DataElement))
    document: DocumentIn | None = None

    @model_validator(mode="after")
    def _names_people_or_scope(self) -> DisclosureRequestIn:
        if not self.individuals and self.bulk is None:
            raise ValueError("name the individuals (individuals) or the scope (bulk)")
        if len(set(self.data_elements)) != len(self.data_elements):
            raise ValueError("data_elements lists an element twice")
        return self


def parse_request(body: bytes) -> DisclosureRequestIn:
    """The request body as a DisclosureRequestIn, or RequestInvalid naming the first bad field."""
    try:
        return DisclosureRequestIn.model_validate_json(body)
    except ValidationError as exc:
        raise _invalid(exc) from None


def parse_request_object(data: Any) -> DisclosureRequestIn:
    """Like parse_request, for a form's already-built dictionary (paper intake)."""
    try:
        return DisclosureRequestIn.model_validate(data)
    except ValidationError as exc:
        raise _invalid(exc) from None


def _invalid(exc: ValidationError) -> RequestInvalid:
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first.get("loc", ())) or "request"
    if not _FIELD_NAME.fullmatch(field):
        # An unknown key is the caller's text, and refusals go into the public ledger.
        field = "request"
    if first.get("type") == "extra_forbidden":
        return RequestInvalid(f"unknown field '{field}': Haven does not accept it", field=field)
    if first.get("type") == "json_invalid":
        return RequestInvalid("the body is not valid JSON", field="request")
    message = str(first.get("msg", "is not valid")).removeprefix("Value error, ")
    return RequestInvalid(f"'{field}': {message}", field=field)
