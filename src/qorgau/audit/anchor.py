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


class HeadMarks:
    """The heads file: after each commit that appended events, the partitions' new heads
    (``<part> <seq> <hash hex>`` lines), written outside the database (issue 13).

    It closes the window a checkpoint leaves: deleting the events appended since the newest
    checkpoint and rewinding the heads leaves a database that is consistent with itself and
    with every signature, but not with this file. Lines are appended with one ``write`` on
    an ``O_APPEND`` descriptor (atomic between processes) and not fsynced one by one: a
    killed process loses nothing (the page cache keeps it), a power cut may lose the last
    marks (that is a shorter record, never a false alarm); each checkpoint fsyncs the file.
    Marks are not ordered between transactions, so the newest head of a partition is its
    highest sequence number. At a checkpoint the file is rotated once it passes
    :data:`ROTATE_BYTES` to ``<name>.1`` (the previous ``.1`` goes: a checkpoint covers it);
    readers take both.
    """

    ROTATE_BYTES = 1 << 20

    def __init__(self, path: Path) -> None:
        self.path = path
        self.previous = path.with_name(path.name + ".1")

    def append(self, heads: dict[int, tuple[int, bytes]]) -> None:
        data = "".join(f"{p} {s} {h.hex()}\n" for p, (s, h) in heads.items()).encode("ascii")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)

    def sync(self) -> None:
        """Fsync the file, then rotate it if it grew past :data:`ROTATE_BYTES`."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return
        try:
            os.fsync(fd)
            size = os.fstat(fd).st_size
        finally:
            os.close(fd)
        if size > self.ROTATE_BYTES:
            os.replace(self.path, self.previous)

    def newest(self) -> dict[int, tuple[int, bytes]]:
        """Each partition's highest marked head; a malformed line is :class:`InvalidAnchor`."""
        heads: dict[int, tuple[int, bytes]] = {}
        for path in (self.previous, self.path):
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            for number, line in enumerate(data.splitlines(), 1):
                try:
                    p, s, h = line.decode("ascii").split(" ")
                    part, seq, digest = int(p), int(s), bytes.fromhex(h)
                except (UnicodeDecodeError, ValueError):
                    if number == len(data.splitlines()) and not data.endswith(b"\n"):
                        continue  # a line still being written
                    raise InvalidAnchor(f"{path}: line {number} is not a head mark") from None
                if len(digest) != 32:
                    raise InvalidAnchor(f"{path}: line {number} is not a head mark")
                if seq > heads.get(part, (0, b""))[0]:
                    heads[part] = (seq, digest)
        return heads
