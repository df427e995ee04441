"""Staff accounts, roles, sign-in and sessions (and, from access-reads, purpose-bound reads)."""
