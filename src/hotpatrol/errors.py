"""One error type and one JSON error shape for the library, the CLI and the web API."""

from __future__ import annotations

from typing import Any


class HotpatrolError(ValueError):
    """A user-facing error that says what was wrong and how to fix it.

    Every field is optional except the message; the CLI prints ``to_dict()`` under ``--json``.
    ``parameter``/``allowed``/``given`` follow scikit-learn's habit of naming the parameter,
    the allowed values and what was passed; ``file``/``row``/``column`` locate bad input.
    """

    def __init__(
        self,
        message: str,
        *,
        parameter: str | None = None,
        allowed: Any = None,
        given: Any = None,
        fix: str | None = None,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        """The ``message`` plus optional context: ``parameter``, ``allowed``, ``given``, ``file``, ``row``, ``column``, ``fix``."""
        self.message = message
        self.parameter = parameter
        self.allowed = allowed
        self.given = given
        self.fix = fix
        self.file = file
        self.row = row
        self.column = column
        super().__init__(self._render())

    def _render(self) -> str:
        parts = [self.message]
        where = []
        if self.file is not None:
            where.append(f"file {self.file}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        if where:
            parts.append("(" + ", ".join(where) + ")")
        if self.parameter is not None:
            parts.append(f"[parameter {self.parameter!r}")
            if self.allowed is not None:
                parts[-1] += f", allowed {self.allowed!r}"
            if self.given is not None:
                parts[-1] += f", given {self.given!r}"
            parts[-1] += "]"
        if self.fix:
            parts.append(f"Fix: {self.fix}")
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """The one JSON error shape: ``{"error": {"message": ..., "parameter": ..., ...}}``."""
        body = {
            "message": self.message,
            "parameter": self.parameter,
            "allowed": _jsonable(self.allowed),
            "given": _jsonable(self.given),
            "fix": self.fix,
            "file": self.file,
            "row": self.row,
            "column": self.column,
        }
        return {"error": {k: v for k, v in body.items() if v is not None}}


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    return str(value)


def check_choice(parameter: str, given: Any, allowed) -> Any:
    """Return ``given`` if it is one of ``allowed`` else raise a HotpatrolError naming all three."""
    allowed = list(allowed)
    if given not in allowed:
        raise HotpatrolError(
            f"Unknown value for {parameter}.", parameter=parameter, allowed=allowed, given=given
        )
    return given
