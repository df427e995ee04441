"""Demo agencies for `haven demo`: registered with Ed25519 keys whose private halves are written
under HAVEN_HOME/demo-agencies/ (owner-only), so `haven disclosure scenario` and anyone trying
the API by hand can sign requests as them. Fictional agencies; never use these keys elsewhere."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from haven.clock import Clock
from haven.config import Settings
from haven.disclosure import service
from haven.disclosure.client import AgencySigner
from haven.disclosure.models import Agency, AgencyCategory, AgencyKey

DEMO_DIR = Path("demo-agencies")
KEY_VALIDITY = timedelta(days=365)


@dataclass(frozen=True)
class DemoAgencySpec:
    name: str
    category: AgencyCategory
    key_id: str
    address: str


DEMO_AGENCIES = (
    DemoAgencySpec(
        "Demo Immigration Enforcement Field Office",
        AgencyCategory.IMMIGRATION_ENFORCEMENT,
        "demo-immigration-1",
        "500 Example Federal Building, Demo City",
    ),
    DemoAgencySpec(
        "Demo County Health Department",
        AgencyCategory.HEALTH,
        "demo-health-1",
        "12 Clinic Road, Demo City",
    ),
)


@dataclass(frozen=True)
class DemoAgency:
    name: str
    key_id: str
    key_path: Path


def key_path(settings: Settings, key_id: str) -> Path:
    return settings.home / DEMO_DIR / f"{key_id}.pem"


def seed_demo_agencies(session: Session, clock: Clock, settings: Settings) -> list[DemoAgency]:
    """Register the demo agencies and their keys unless they exist; returns where the keys are."""
    seeded = []
    for spec in DEMO_AGENCIES:
        agency = session.scalar(sa.select(Agency).where(Agency.name == spec.name))
        if agency is None:
            agency = service.register_agency(
                session,
                clock,
                actor="system",
                name=spec.name,
                category=spec.category,
                address=spec.address,
                contact="demo liaison, by letter",
            )
        path = key_path(settings, spec.key_id)
        registered = session.scalar(sa.select(AgencyKey).where(AgencyKey.key_id == spec.key_id))
        if registered is None or not path.exists():
            signer = AgencySigner.generate(spec.key_id if registered is None else _fresh_id(spec))
            _write_key(path, signer)
            service.add_agency_key(
                session,
                clock,
                actor="system",
                agency_id=agency.id,
                key_id=signer.key_id,
                public_key=signer.public_bytes,
                valid_from=clock.now() - timedelta(minutes=5),
                valid_until=clock.now() + KEY_VALIDITY,
            )
        seeded.append(DemoAgency(spec.name, _key_id_in(path, spec), path))
    return seeded


def load_demo_signer(settings: Settings, spec: DemoAgencySpec) -> AgencySigner:
    """The signer `seed_demo_agencies` wrote for this demo agency."""
    path = key_path(settings, spec.key_id)
    return AgencySigner.from_file(path, key_id=_key_id_in(path, spec))


def describe_demo_agencies(agencies: list[DemoAgency]) -> str:
    """The lines `haven demo` prints: each agency, its key id and its private key's path."""
    lines = ["demo agencies (sign API requests with these keys; see `haven disclosure scenario`):"]
    lines += [f"  {a.name}: keyid {a.key_id}, private key {a.key_path}" for a in agencies]
    return "\n".join(lines)


def _fresh_id(spec: DemoAgencySpec) -> str:
    return f"{spec.key_id}-{os.urandom(3).hex()}"


def _write_key(path: Path, signer: AgencySigner) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(signer.private_pem())
    # The key id travels next to the key, since a lost key file gets a fresh id.
    path.with_suffix(".keyid").write_text(signer.key_id + "\n", encoding="utf-8")


def _key_id_in(path: Path, spec: DemoAgencySpec) -> str:
    id_file = path.with_suffix(".keyid")
    return id_file.read_text(encoding="utf-8").strip() if id_file.exists() else spec.key_id
