"""The disclosure gateway's policy: facts in, a decision out, under the active signed pack.

``evaluate(session, facts, now=...)`` is the one entry point the gateway calls. What it allows
changes only through ``governance`` (propose, two signatures, publication, notice period,
activation), each step a ledger entry.
"""

from haven.disclosure.policy.engine import evaluate
from haven.disclosure.policy.facts import (
    AgencyCategory,
    DataElement,
    Decision,
    DocumentKind,
    Effect,
    LegalBasis,
    OfficialLevel,
    Outcome,
    PurposeCategory,
    RequestedIndividual,
    RequestFacts,
    RuleFinding,
)

__all__ = [
    "AgencyCategory",
    "DataElement",
    "Decision",
    "DocumentKind",
    "Effect",
    "LegalBasis",
    "OfficialLevel",
    "Outcome",
    "PurposeCategory",
    "RequestFacts",
    "RequestedIndividual",
    "RuleFinding",
    "evaluate",
]
