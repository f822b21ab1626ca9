"""Who may see what: signed-in members, and fields their owner alone may read."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from models import Member
from resolvers.standpoints import Standpoint
from resolvers.translations import N_
from schema.context import Info
from schema.errors import forbidden, unauthenticated


class IsAuthenticated(BasePermission):
    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.viewer is not None

    def on_unauthorized(self) -> None:
        raise unauthenticated(N_("sign in first: send Authorization: Bearer <token>"))


def signed_in(info: Info) -> Member:
    """The signed-in member, for resolvers already guarded by IsAuthenticated."""
    if info.context.viewer is None:
        raise unauthenticated()
    return info.context.viewer


def require_owner(standpoint: Standpoint, what: str) -> None:
    """Only the owner reads `what`: anyone else gets UNAUTHENTICATED or FORBIDDEN."""
    if standpoint is Standpoint.ANONYMOUS:
        raise unauthenticated(N_("sign in first: {what} is private"), what=what)
    if standpoint is Standpoint.MEMBER:
        raise forbidden(N_("{what} is visible to its owner alone"), what=what)


def signed_in_id(info: Info) -> int:
    member_id = signed_in(info).id
    assert member_id is not None
    return member_id
