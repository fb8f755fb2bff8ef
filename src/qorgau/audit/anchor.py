"""The anchor file: every signed checkpoint's signature appended, fsynced, outside the
database (issue 13, must-have 3).

``audit verify`` requires the database's checkpoints to include the newest anchored one, so
deleting the newest checkpoints, deleting all of them or restoring an older copy of the
database is named. The file lives under ``QORGAU_HOME`` by default: restoring ``var/`` rolls
it back too (docs/operations.md); a witness outside the host is the anchor that survives a
restore.
"""

from __future__ import annotations

import os
from pathlib import Path


class InvalidAnchor(ValueError):
    """A line of the anchor file is not a checkpoint signature."""


class AnchorFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, signature: bytes) -> None:
        """One line, appended and fsynced before the call returns."""
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, signature.hex().encode("ascii") + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)

    def last(self) -> bytes | None:
        """The newest anchored signature; None when nothing was anchored yet."""
        try:
            with self.path.open("rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - 4096))
                tail = f.read()
        except FileNotFoundError:
            return None
        lines = [line for line in tail.split(b"\n") if line.strip()]
        if not lines:
            return None
        try:
            signature = bytes.fromhex(lines[-1].decode("ascii").strip())
        except (UnicodeDecodeError, ValueError):
            raise InvalidAnchor(f"{self.path}: the last line is not a signature") from None
        if len(signature) != 64:
            raise InvalidAnchor(f"{self.path}: the last line is not a 64-byte signature")
        return signature
