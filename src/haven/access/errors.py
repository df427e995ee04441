"""Access errors. Messages name what to do, never whose account or data it was."""

from __future__ import annotations

from haven.errors import Conflict, Forbidden, HavenError, Invalid, NotFound


class NotSignedIn(HavenError):
    """No live staff session came with the request: pages send the browser to sign in."""

    status_code = 401
    code = "not_signed_in"

    def __init__(self, message: str = "please sign in as staff to continue") -> None:
        super().__init__(message)


class RoleRequired(Forbidden):
    """The signed-in member of staff has none of the roles this needs."""

    code = "role_required"


class OutOfScope(Forbidden):
    """The member of staff has the role, but not for this office."""

    code = "out_of_scope"


class AccountNotFound(NotFound):
    def __init__(self, by: str = "id") -> None:
        field = "username" if by == "username" else "account"
        super().__init__(f"there is no staff account with this {by}", field=field)


class UsernameTaken(Conflict):
    def __init__(self) -> None:
        super().__init__("this username is already in use", field="username")


class InvalidAccount(Invalid):
    """A field of an account or role assignment is not acceptable (the message names it)."""


class SelfChangeRefused(Forbidden):
    """Staff may not disable themselves or change their own roles: another admin must."""

    code = "self_change_refused"
