"""`/transparency/policy`: the public copy of the disclosure policy in force and of versions
waiting out their notice period, with hashes, signatures (role and date) and full text.

Read-only by design: there is no page, form or API that changes the policy.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from haven.disclosure.policy import governance
from haven.disclosure.policy.models import PolicyVersion, VersionStatus
from haven.disclosure.policy.pack import bundled_files, files_from_json, pack_hash
from haven.transparency.labels import status_label
from haven.web.deps import SessionDep
from haven.web.page_route import PageRoute
from haven.web.templating import render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
PENDING = {VersionStatus.PROPOSED, VersionStatus.PUBLISHED}


@router.get("/transparency/policy")
def policy_in_force(request: Request, session: SessionDep) -> Response:
    """The active version (or, before first use, the bundled pack's hash) and pending ones."""
    versions = governance.list_versions(session)
    active = next((item for item in versions if item.status == VersionStatus.ACTIVE), None)
    context: dict[str, Any] = {
        "version": _version_view(active) if active is not None else None,
        "pending": [_version_view(item) for item in versions if item.status in PENDING],
        "history": [_summary(item) for item in versions],
        "bundled_sha256": pack_hash(bundled_files()),
    }
    return render(request, "transparency/policy.html", context, translated=True)


@router.get("/transparency/policy/{version_id}")
def policy_version(
    request: Request, version_id: Annotated[int, Path(ge=1)], session: SessionDep
) -> Response:
    """One version's text, hash and signatures, whatever its status."""
    version = governance.get_version(session, version_id)
    context = {
        "version": _version_view(version),
        "pending": [],
        "history": [],
        "bundled_sha256": "",
    }
    return render(request, "transparency/policy.html", context, translated=True)


def _summary(version: PolicyVersion) -> dict[str, Any]:
    return {
        "id": version.id,
        "status": version.status,
        "status_label": status_label(version.status),
        "sha256": version.sha256,
        "proposed_at": version.proposed_at,
        "activated_at": version.activated_at,
        "superseded_at": version.superseded_at,
    }


def _version_view(version: PolicyVersion) -> dict[str, Any]:
    return {
        **_summary(version),
        "published_at": version.published_at,
        "notice_ends_at": version.notice_ends_at,
        "signatures": [
            {"role": signature.role.replace("_", " "), "signed_at": signature.signed_at}
            for signature in version.signatures
        ],
        "files": sorted(files_from_json(version.files_json).items()),
    }
