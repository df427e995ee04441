"""Access fixtures: settings with a test-speed argon2 cost, the policy and keyring built from
them (shared with tests/disclosure, so they live in tests/access/fixtures.py)."""

from __future__ import annotations

from tests.access.fixtures import keyring, policy, settings

# Re-exported so pytest finds them here.
__all__ = ["keyring", "policy", "settings"]
