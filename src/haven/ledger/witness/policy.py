"""A checkpoint's trust policy: which witnesses cosign it and how many must (the quorum)."""

from __future__ import annotations

from dataclasses import dataclass

from haven.config import Settings
from haven.errors import Invalid
from haven.ledger.cosignature import CosignatureVerifier
from haven.ledger.note import MalformedNote
from haven.ledger.witness.client import WitnessEndpoint


class WitnessPolicyError(Invalid):
    """The configured witnesses or quorum cannot be used."""

    code = "witness_policy"


@dataclass(frozen=True)
class WitnessPolicy:
    """The witnesses a log submits to and the cosignatures a trusted checkpoint needs."""

    endpoints: tuple[WitnessEndpoint, ...]
    quorum: int

    def __post_init__(self) -> None:
        if not 0 <= self.quorum <= len(self.endpoints):
            # Fail closed: a quorum no configuration can reach would silently trust nothing.
            raise WitnessPolicyError(
                f"witness quorum {self.quorum} needs at least that many witnesses, "
                f"{len(self.endpoints)} configured",
                field="log_witness_quorum",
            )

    @classmethod
    def from_settings(cls, settings: Settings) -> WitnessPolicy:
        """The policy from HAVEN_LOG_WITNESSES and HAVEN_LOG_WITNESS_QUORUM."""
        try:
            endpoints = tuple(WitnessEndpoint.parse(spec) for spec in settings.log_witnesses)
        except MalformedNote as exc:
            raise WitnessPolicyError(
                f"log_witnesses: {exc.message}", field="log_witnesses"
            ) from None
        return cls(endpoints, settings.log_witness_quorum)

    @property
    def verifiers(self) -> list[CosignatureVerifier]:
        """The witnesses' cosignature keys, for verifying a checkpoint against this policy."""
        return [endpoint.verifier for endpoint in self.endpoints]
