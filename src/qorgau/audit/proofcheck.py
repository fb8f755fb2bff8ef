#!/usr/bin/env python3
"""Check a qorgau audit proof with the log's public key alone (issue 13, must-have 7).

One file, needing only Python 3.10+ and the ``cryptography`` package: copy it anywhere
(``qorgau audit verifier > proofcheck.py``) and run

    python proofcheck.py proof.json --log-key '<name>+<id>+<key>' [--witness-key '<vkey>' ...]

It checks that the checkpoint in the bundle is a C2SP signed note signed by the log's key
(and cosigned, cosignature/v1, by every witness key given), that it is the tree head of the
event's partition, and that the event's entry is in that tree (RFC 9162 inclusion proof).
Exit 0 and a line saying so when everything holds; exit 1 naming the first thing that does
not. It shares no code with qorgau on purpose: it is what a third party runs.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT = "qorgau-audit-proof/1"
SIG_PREFIX = "\u2014 "


class Bad(Exception):
    pass


def _b64(text: str) -> bytes:
    raw = base64.b64decode(text, validate=True)
    if base64.b64encode(raw).decode() != text:
        raise Bad("non-canonical base64")
    return raw


def parse_vkey(vkey: str) -> tuple[str, bytes, int, bytes]:
    """``<name>+<hex id>+base64(type || key)`` -> name, key id, type, public key."""
    name, hex_id, b64 = vkey.split("+", 2)
    raw = _b64(b64)
    alg, key = raw[0], raw[1:]
    kid = hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + key).digest()[:4]
    if len(key) != 32 or kid.hex() != hex_id:
        raise Bad(f"malformed verifier key {name}")
    return name, kid, alg, key


def split_note(note: str) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    text, sep, block = note.rpartition("\n\n")
    if not sep or not block.endswith("\n"):
        raise Bad("the checkpoint is not a signed note")
    sigs = []
    for line in block[:-1].split("\n"):
        if not line.startswith(SIG_PREFIX):
            raise Bad("malformed signature line")
        name, _, b64 = line[len(SIG_PREFIX) :].partition(" ")
        raw = _b64(b64)
        sigs.append((name, raw[:4], raw[4:]))
    return text + "\n", sigs


def _ed25519(key: bytes, sig: bytes, msg: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(sig, msg)
    except (InvalidSignature, ValueError):
        return False
    return True


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes) -> bool:
    """RFC 9162, 2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def leaf_of(entry: dict[str, Any]) -> bytes:
    header = (
        f"{entry['part']}:{entry['seq']}:{entry['action']}:{entry['subject_id'] or ''}:"
        f"{entry['state'] or ''}\n"
    )
    prefix = b"" if entry["legacy"] else b"\x00"
    data = bytes.fromhex(entry["prev"]) + header.encode() + entry["body"].encode("utf-8")
    return hashlib.sha256(prefix + data).digest()


def check(bundle: dict[str, Any], log_key: str, witness_keys: list[str]) -> str:
    if bundle.get("format") != FORMAT or bundle.get("proof") is None:
        raise Bad("not a proof bundle (or the event is not checkpointed yet)")
    name, kid, alg, key = parse_vkey(log_key)
    text, sigs = split_note(bundle["checkpoint"])
    signed = [s for s in sigs if s[0] == name and s[1] == kid]
    if alg != 1 or not signed or not all(_ed25519(key, s[2], text.encode()) for s in signed):
        raise Bad("the checkpoint is not signed by the log's key")
    origin, size_line, root_b64, *_ext = text[:-1].split("\n")
    size, root = int(size_line), _b64(root_b64)
    entry = bundle["entry"]
    if origin != f"{name}/{entry['part']}":
        raise Bad("the checkpoint is not the tree head of this event's partition")
    if size != bundle["size"] or bundle["index"] != entry["seq"] - 1:
        raise Bad("the index or size do not match the checkpoint")
    path = [_b64(p) for p in bundle["proof"]]
    if not verify_inclusion(bundle["index"], size, leaf_of(entry), path, root):
        raise Bad("the event is not in the signed tree (the inclusion proof fails)")
    for wkey in witness_keys:
        wname, wkid, walg, wpub = parse_vkey(wkey)
        ok = False
        for sname, skid, payload in sigs:
            if (sname, skid) == (wname, wkid) and walg == 4 and len(payload) == 72:
                ts = int.from_bytes(payload[:8], "big")
                msg = f"cosignature/v1\ntime {ts}\n".encode() + text.encode()
                ok = ok or _ed25519(wpub, payload[8:], msg)
        if not ok:
            raise Bad(f"no valid cosignature of witness {wname}")
    return (
        f"ok: event {entry['action']} (partition {entry['part']}, seq {entry['seq']}) is in "
        f"the tree head of {size} signed by {name}"
        + (f", cosigned by {len(witness_keys)} witness(es)" if witness_keys else "")
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("bundle", help="the proof bundle (JSON), or - for standard input")
    ap.add_argument("--log-key", required=True, help="the log's verifier key")
    ap.add_argument("--witness-key", action="append", default=[], help="a witness's key")
    args = ap.parse_args(argv)
    try:
        raw = sys.stdin.read() if args.bundle == "-" else open(args.bundle).read()  # noqa: SIM115
        bundles = json.loads(raw)
        for bundle in bundles if isinstance(bundles, list) else [bundles]:
            print(check(bundle, args.log_key, args.witness_key))
    except (Bad, ValueError, KeyError, TypeError, OSError) as exc:
        print(f"proof does not verify: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
