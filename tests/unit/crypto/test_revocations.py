"""The key provider's revocation list: durable, seen across processes, and not re-read after
the provider's own appends (a sweep revokes a batch, then reads the next one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qorgau.crypto.keyring import KeyRevoked, LocalKeyring


def test_own_revocations_need_no_reload_and_others_are_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "keyring.json"
    mine = LocalKeyring.create(path)
    other = LocalKeyring(path)  # another process's view of the same files
    kek, wrapped = mine.wrap(b"k" * 32, "s-live")
    loads = {"n": 0}
    original = LocalKeyring._load_revoked

    def counting(self: LocalKeyring) -> None:
        loads["n"] += 1
        original(self)

    monkeypatch.setattr(LocalKeyring, "_load_revoked", counting)
    mine.revoke_many([f"s-{n}" for n in range(100)])
    assert mine.is_revoked("s-7")
    assert not mine.is_revoked("s-live")
    assert loads["n"] == 0  # its own append did not make it re-read the file
    assert mine.unwrap(kek, wrapped, "s-live") == b"k" * 32
    other.revoke("s-live")
    with pytest.raises(KeyRevoked):
        mine.unwrap(kek, wrapped, "s-live")
    assert loads["n"] == 1
    assert other.is_revoked("s-99")  # and the other process sees this one's list
