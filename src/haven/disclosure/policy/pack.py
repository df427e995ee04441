"""Policy packs as files: reading, hashing, checking and compiling them for Cedar.

A pack is a set of files: one ``*.cedarschema`` (what the rules may look at) and one or more
``*.cedar`` policy files, read in name order. Every policy carries ``@id`` (unique),
``@explanation`` (plain language, shown with every decision it takes part in) and ``@source``
(its legal source); a permit may carry ``@obligation`` (what the decision must then do).

A pack's hash is the SHA-256 of its canonical JSON, ``{"files":{name:text}}`` with sorted keys,
no spaces, UTF-8: anyone holding the files can recompute it, and the ledger and
``/transparency/policy`` publish it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import cedarpy

from haven.disclosure.policy.errors import PackInvalid
from haven.disclosure.policy.facts import AgencyCategory

BUNDLED_PACK_DIR = Path(__file__).parent / "pack"
SCHEMA_SUFFIX = ".cedarschema"
POLICY_SUFFIX = ".cedar"
FILE_NAME_SHAPE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,80}\.(cedar|cedarschema)")
MAX_PACK_BYTES = 256 * 1024
REQUIRED_ANNOTATIONS = ("id", "explanation", "source")
KNOWN_OBLIGATIONS = frozenset(
    {"notify_person_within_10_working_days", "decide_at_central_privacy_office"}
)
NAMESPACE = "Haven"


@dataclass(frozen=True)
class RuleText:
    """One policy's annotations: what the decision says when the rule applies."""

    rule_id: str
    effect: str
    explanation: str
    source: str
    obligation: str | None


@dataclass(frozen=True)
class CompiledPack:
    """A checked pack, parsed once and reused for every decision under it."""

    sha256: str
    policy_set: cedarpy.PolicySet
    schema: cedarpy.Schema
    entities: cedarpy.Entities
    rules: Mapping[str, RuleText]


def canonical_files_json(files: Mapping[str, str]) -> str:
    """The text a pack's hash covers: ``{"files":{name:text}}``, sorted, compact."""
    return json.dumps(
        {"files": dict(files)}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def pack_hash(files: Mapping[str, str]) -> str:
    """SHA-256 (hex) of the pack's canonical JSON."""
    return hashlib.sha256(canonical_files_json(files).encode("utf-8")).hexdigest()


def files_from_json(text: str) -> dict[str, str]:
    """A pack's files from its canonical JSON (as stored, or as `haven policy show --json`)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PackInvalid(f"pack JSON does not parse: {exc.msg}", field="files") from None
    files = value.get("files") if isinstance(value, dict) else None
    if not isinstance(files, dict) or not all(
        isinstance(name, str) and isinstance(body, str) for name, body in files.items()
    ):
        raise PackInvalid('pack JSON must be {"files": {name: text}}', field="files")
    return dict(files)


def read_pack(path: Path) -> dict[str, str]:
    """A pack's files from a directory (its *.cedar and *.cedarschema) or a JSON bundle file."""
    if path.is_dir():
        return {
            entry.name: entry.read_text(encoding="utf-8")
            for entry in sorted(path.iterdir())
            if entry.is_file() and entry.suffix in {SCHEMA_SUFFIX, POLICY_SUFFIX}
        }
    if path.is_file():
        if path.stat().st_size > MAX_PACK_BYTES:
            raise PackInvalid(f"{path.name} is larger than {MAX_PACK_BYTES} bytes", field="path")
        return files_from_json(path.read_text(encoding="utf-8"))
    raise PackInvalid(f"{path} is neither a pack directory nor a pack JSON file", field="path")


def bundled_files() -> dict[str, str]:
    """The default pack shipped with this release of Haven (installed as version 1)."""
    return read_pack(BUNDLED_PACK_DIR)


def compile_pack(files: Mapping[str, str]) -> CompiledPack:
    """Check a pack completely and parse it for evaluation; refuses anything doubtful."""
    schema_text, policy_text = _split(files)
    try:
        schema = cedarpy.Schema.from_str(schema_text)
        policy_set = cedarpy.PolicySet.from_str(policy_text)
        policies_json = json.loads(cedarpy.policies_to_json_str(policy_text))
    except ValueError as exc:
        raise PackInvalid(f"pack does not parse: {_first_line(exc)}", field="files") from None
    if policies_json.get("templates"):
        raise PackInvalid("policy templates are not allowed in a pack", field="files")
    rules = _rules(policies_json.get("staticPolicies", {}))
    validation = cedarpy.validate_policies(policy_text, schema)
    if not validation.validation_passed:
        first = validation.errors[0] if validation.errors else "unknown error"
        raise PackInvalid(f"pack does not validate against its schema: {first}", field="files")
    entities = cedarpy.Entities.from_json_str(json.dumps(_agency_entities()))
    return CompiledPack(
        sha256=pack_hash(files),
        policy_set=policy_set,
        schema=schema,
        entities=entities,
        rules=MappingProxyType(rules),
    )


def _split(files: Mapping[str, str]) -> tuple[str, str]:
    total = sum(len(body.encode("utf-8")) for body in files.values())
    if total > MAX_PACK_BYTES:
        raise PackInvalid(f"pack is larger than {MAX_PACK_BYTES} bytes", field="files")
    for name in files:
        if not FILE_NAME_SHAPE.fullmatch(name):
            raise PackInvalid(
                f"pack file name {name!r} must be lower-case and end .cedar or .cedarschema",
                field="files",
            )
    schemas = sorted(name for name in files if name.endswith(SCHEMA_SUFFIX))
    policies = sorted(name for name in files if name.endswith(POLICY_SUFFIX))
    if len(schemas) != 1:
        raise PackInvalid("a pack has exactly one .cedarschema file", field="files")
    if not policies:
        raise PackInvalid("a pack has at least one .cedar policy file", field="files")
    return files[schemas[0]], "\n".join(files[name] for name in policies)


def _rules(static_policies: Mapping[str, Any]) -> dict[str, RuleText]:
    rules: dict[str, RuleText] = {}
    for parsed in static_policies.values():
        annotations = parsed.get("annotations") or {}
        missing = [name for name in REQUIRED_ANNOTATIONS if not annotations.get(name)]
        if missing:
            named = annotations.get("id") or "a policy"
            raise PackInvalid(f"{named} lacks @{missing[0]}(...)", field="files")
        rule_id = str(annotations["id"])
        if rule_id in rules:
            raise PackInvalid(f"two policies share @id({rule_id!r})", field="files")
        obligation = annotations.get("obligation")
        if obligation is not None and obligation not in KNOWN_OBLIGATIONS:
            raise PackInvalid(f"{rule_id}: unknown @obligation({obligation!r})", field="files")
        if obligation is not None and parsed.get("effect") != "permit":
            raise PackInvalid(f"{rule_id}: only a permit may carry an obligation", field="files")
        rules[rule_id] = RuleText(
            rule_id=rule_id,
            effect=str(parsed.get("effect")),
            explanation=str(annotations["explanation"]),
            source=str(annotations["source"]),
            obligation=obligation,
        )
    return rules


def _agency_entities() -> list[dict[str, Any]]:
    return [
        {
            "uid": {"type": f"{NAMESPACE}::Agency", "id": str(category)},
            "attrs": {"category": str(category)},
            "parents": [],
        }
        for category in AgencyCategory
    ]


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
