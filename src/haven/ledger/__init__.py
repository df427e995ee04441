"""The append-only Merkle log. Imports no other domain."""
