"""Strawberry's extensions runner, except that a stage no extension hooks holds nothing.

Strawberry enters `operation()` and `executing()` around a subscription's whole life, and
each makes an AsyncExitStack (with a deque of 600 bytes) even when no extension hooks it:
held per subscriber for as long as its socket is open.
"""

from __future__ import annotations

from contextlib import nullcontext

from strawberry.extensions.context import ExecutingContextManager, OperationContextManager
from strawberry.extensions.runner import SchemaExtensionsRunner

_NOTHING: nullcontext[None] = nullcontext()


class ExtensionsRunner(SchemaExtensionsRunner):
    def operation(self) -> OperationContextManager | nullcontext[None]:  # type: ignore[override]
        stage = super().operation()
        return stage if stage.hooks else _NOTHING

    def executing(self) -> ExecutingContextManager | nullcontext[None]:  # type: ignore[override]
        stage = super().executing()
        return stage if stage.hooks else _NOTHING
