"""A C2SP tlog-witness (`POST /add-checkpoint`) and the log's client for it.

The witness has its own key, its own SQLite state file and its own small Starlette app: it shares
nothing with the Haven it watches except the log's public key.
"""
