"""C2SP signed notes, checkpoints and cosignature/v1 (qorgau.audit.note).

Vectors:
- Go, golang.org/x/mod sumdb/note/note_test.go (TestNewVerifier, TestNewSigner, TestSign,
  TestOpen): the PeterNeumann and EnochRoot keys and their signatures.
- C2SP/C2SP signed-note.md, "Verifier keys / Example": example.com/foo.
- C2SP/C2SP tlog-checkpoint.md and tlog-cosignature.md introductions: the
  example.com/behind-the-sofa checkpoint and the witness.example.com/w1 cosignature line
  (no public keys are published for those two, so only their structure is checked).
"""

from __future__ import annotations

import base64
import hashlib

import pytest

from qorgau.audit.note import (
    ALG_COSIGNATURE_V1,
    ALG_ED25519,
    Checkpoint,
    InvalidKey,
    InvalidNote,
    SignatureLine,
    Signer,
    Verifier,
    cosign,
    cosigned_message,
    key_id,
    open_checkpoint,
    open_note,
    parse_signature_line,
    sign,
    verify_cosignature,
)

# --- Go sumdb/note vectors ---------------------------------------------------------------
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdn"
    "gotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWL"
    "ox33WWd1RvMc+QQ=\n"
)
PETER_NOTE = (TEXT + "\n" + PETER_SIG).encode()

# --- C2SP vectors ------------------------------------------------------------------------
FOO_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
FOO_NOTE = (
    "This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi"
    "2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
).encode()
SOFA_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SOFA_LOG_SIG = (
    "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/"
    "Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)
W1_COSIG = (
    "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJs"
    "X3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)


def peter() -> Verifier:
    return Verifier.from_vkey(PETER_VKEY)


def enoch() -> Verifier:
    return Verifier.from_vkey(ENOCH_VKEY)


# --- keys --------------------------------------------------------------------------------


def test_go_keys_parse_and_format_back() -> None:
    v = peter()
    s = Signer.from_skey(PETER_SKEY)
    assert (v.name, v.key_id.hex(), v.alg) == ("PeterNeumann", "c74f20a3", ALG_ED25519)
    assert s.verifier() == v
    assert v.to_vkey() == PETER_VKEY
    assert s.to_skey() == PETER_SKEY
    assert "AYEK" not in repr(s)  # the seed stays out of reprs


def test_key_id_is_sha256_of_name_newline_type_key() -> None:
    v = peter()
    want = hashlib.sha256(b"PeterNeumann\n\x01" + v.public_key).digest()[:4]
    assert key_id("PeterNeumann", ALG_ED25519, v.public_key) == want == bytes.fromhex("c74f20a3")


def _manglings(key: str) -> set[str]:
    """Every proper substring and every one-byte increment (as Go's note_test.go does)."""
    out = {key[i:j] for i in range(len(key) + 1) for j in range(i + 1, len(key) + 1)}
    out |= {key[:i] + chr(ord(key[i]) + 1) + key[i + 1 :] for i in range(len(key))}
    out.discard(key)
    return out


@pytest.mark.parametrize("key", [PETER_VKEY])
def test_mangled_verifier_keys_are_rejected(key: str) -> None:
    for bad in _manglings(key):
        with pytest.raises(InvalidKey):
            Verifier.from_vkey(bad)


def test_mangled_signer_keys_are_rejected() -> None:
    for bad in _manglings(PETER_SKEY):
        with pytest.raises(InvalidKey):
            Signer.from_skey(bad)


@pytest.mark.parametrize(
    "vkey",
    [
        # Go: wrong key length with adjusted key hash; unknown algorithm with adjusted hash.
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # uppercase hex
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_bad_verifier_keys(vkey: str) -> None:
    with pytest.raises(InvalidKey):
        Verifier.from_vkey(vkey)


@pytest.mark.parametrize("name", ["", "a+b", "a b", "a\tb", "a\u00a0b", "a\u2003b", "a\x01b"])
def test_key_names_without_spaces_or_plus(name: str) -> None:
    with pytest.raises(InvalidKey):
        Signer.generate(name)


@pytest.mark.parametrize("alg", [ALG_ED25519, ALG_COSIGNATURE_V1])
def test_generated_keys_round_trip(alg: int) -> None:
    s = Signer.generate("qorgau.example/log/p1", alg)
    assert Signer.from_skey(s.to_skey()).to_skey() == s.to_skey()
    v = Verifier.from_vkey(s.verifier().to_vkey())
    assert v == s.verifier()
    assert v.key_id == key_id(s.name, alg, v.public_key)


def test_the_same_key_has_another_id_as_a_cosignature_key() -> None:
    s = Signer.from_skey(PETER_SKEY)
    w = Signer(s.name, base64.b64decode(PETER_SKEY.split("+", 4)[4])[1:], ALG_COSIGNATURE_V1)
    assert w.verifier().public_key == s.verifier().public_key
    assert w.key_id != s.key_id


# --- signed notes: vectors ---------------------------------------------------------------


def test_sign_matches_go() -> None:
    assert sign(TEXT, Signer.from_skey(PETER_SKEY)) == PETER_NOTE


def test_open_go_note_with_one_known_key() -> None:
    note = (TEXT + "\n" + PETER_SIG + ENOCH_SIG).encode()
    assert open_note(note, [peter()]) == (TEXT, ("PeterNeumann",))
    assert open_note(note, [enoch()]) == (TEXT, ("EnochRoot",))
    assert open_note(note, [peter(), enoch()]).signers == ("PeterNeumann", "EnochRoot")
    with pytest.raises(InvalidNote, match="no verifiable"):
        open_note(note, [])


def test_open_c2sp_example() -> None:
    text, signers = open_note(FOO_NOTE, [Verifier.from_vkey(FOO_VKEY)])
    assert text == "This is an example message.\n"
    assert signers == ("example.com/foo",)


def test_duplicate_signatures_are_named_once() -> None:
    note = (TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG).encode()
    assert open_note(note, [peter()]).signers == ("PeterNeumann",)


def test_text_with_blank_lines_round_trips() -> None:
    s = Signer.generate("qorgau.example/log")
    for text in ["a\n\nb\n", "a\n\n", "\n", "a\n\n\n", "— x AAAA\n\n"]:
        assert open_note(sign(text, s), [s.verifier()]).text == text


def test_multiple_signers() -> None:
    a, b = Signer.generate("a.example"), Signer.generate("b.example")
    note = sign("hello\n", a, b)
    assert open_note(note, [b.verifier(), a.verifier()]).signers == ("a.example", "b.example")


def test_sign_rejects_bad_text_and_cosignature_keys() -> None:
    s = Signer.from_skey(PETER_SKEY)
    for bad in ["abc", "", "a\x00\n", "a\rb\n", "\ud800\n"]:
        with pytest.raises(InvalidNote):
            sign(bad, s)
    with pytest.raises(ValueError, match="cosign"):
        sign(TEXT, Signer.generate("w.example", ALG_COSIGNATURE_V1))


# --- signed notes: tampering -------------------------------------------------------------


def _flip_signature_byte(note: bytes, index: int) -> bytes:
    text, _, line = note.decode().rpartition("\n\n")
    name, b64 = line[2:-1].split(" ")
    raw = bytearray(base64.b64decode(b64))
    raw[index] ^= 0x01
    return f"{text}\n\n— {name} {base64.b64encode(raw).decode()}\n".encode()


TAMPERED = {
    # Go TestOpen's bad messages.
    "no signatures": TEXT.encode(),
    "blank line, no signatures": (TEXT + "\n").encode(),
    "missing final newline": (TEXT + "\n" + PETER_SIG[:-1]).encode(),
    "control character": ("\x01" + TEXT + "\n" + PETER_SIG).encode(),
    "invalid UTF-8": b"\xff" + PETER_NOTE,
    "name with a space": (TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Bad Name")).encode(),
    "unexpected line": (TEXT + "\n" + PETER_SIG + "Unexpected line.\n").encode(),
    "101 signatures": (TEXT + "\n" + PETER_SIG * 101).encode(),
    "ABCD inserted": (TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]).encode(),
    # Ours.
    "text changed": PETER_NOTE.replace(b"problem,", b"problem;"),
    "text line added": b"x\n" + PETER_NOTE,
    "signature byte flipped": _flip_signature_byte(PETER_NOTE, 40),
    "last signature byte flipped": _flip_signature_byte(PETER_NOTE, 67),
    "key ID byte flipped": _flip_signature_byte(PETER_NOTE, 0),
    "wrong key name": PETER_NOTE.replace(b"PeterNeumann", b"PeterNeuman"),
    "truncated base64": PETER_NOTE.replace(b"JnAM=\n", b"JnA\n"),
    "base64 without padding": PETER_NOTE.replace(b"JnAM=\n", b"JnAM\n"),
    "base64 shortened by a block": PETER_NOTE.replace(b"yyBwJnAM=\n", b"yJnAM=\n"),
    "non-canonical base64": PETER_NOTE.replace(b"JnAM=\n", b"JnAN=\n"),
    "empty base64": (TEXT + "\n— PeterNeumann \n").encode(),
    "no base64": (TEXT + "\n— PeterNeumann\n").encode(),
    "short signature": (TEXT + "\n— PeterNeumann x08gow==\n").encode(),
    "hyphen, not em dash": PETER_NOTE.replace("— ".encode(), b"- "),
    "no space after em dash": PETER_NOTE.replace("— ".encode(), "—".encode()),
    "two spaces": PETER_NOTE.replace(b"PeterNeumann ", b"PeterNeumann  "),
    "extra blank line before signatures": (TEXT + "\n\n" + PETER_SIG).encode(),
    "extra blank line at end": PETER_NOTE + b"\n",
    "blank line between signatures": (TEXT + "\n" + PETER_SIG + "\n" + ENOCH_SIG).encode(),
    "CRLF line endings": PETER_NOTE.replace(b"\n", b"\r\n"),
    "carriage return in text": PETER_NOTE.replace(b"problem,", b"problem,\r"),
    "tab in text": PETER_NOTE.replace(b"you think", b"you\tthink"),
    "NUL at end": PETER_NOTE + b"\x00",
    "trailing space": PETER_NOTE[:-1] + b" \n",
    "empty": b"",
}


@pytest.mark.parametrize("name", sorted(TAMPERED))
def test_tampered_notes_are_rejected(name: str) -> None:
    with pytest.raises(InvalidNote):
        open_note(TAMPERED[name], [peter(), enoch()])


def test_every_single_byte_change_is_rejected_or_unchanged() -> None:
    """No byte flip anywhere in the note yields another accepted note, nor another error."""
    for i in range(len(PETER_NOTE)):
        for bit in (0x01, 0x20, 0x80):
            mangled = bytearray(PETER_NOTE)
            mangled[i] ^= bit
            with pytest.raises(InvalidNote):
                open_note(bytes(mangled), [peter()])


def test_every_truncation_is_rejected() -> None:
    for n in range(len(PETER_NOTE)):
        with pytest.raises(InvalidNote):
            open_note(PETER_NOTE[:n], [peter()])


def test_signature_of_an_unknown_key_is_ignored_even_if_it_shares_name_or_id() -> None:
    """signed-note, Signatures: ignore a line sharing the name or the ID, not both."""
    impostor = Signer.generate("PeterNeumann")  # same name, (almost surely) another ID
    assert impostor.key_id != peter().key_id
    forged = sign(TEXT, impostor)
    with pytest.raises(InvalidNote, match="no verifiable"):
        open_note(forged, [peter()])
    both = PETER_NOTE + forged.split(b"\n\n")[-1]
    assert open_note(both, [peter()]).signers == ("PeterNeumann",)
    # Same ID under another name: the line is unknown too.
    renamed = PETER_NOTE.replace(b"PeterNeumann x08", b"PaulNeumann x08")
    with pytest.raises(InvalidNote, match="no verifiable"):
        open_note(renamed, [peter()])


def test_key_id_collision_with_another_key_rejects_the_note() -> None:
    """A key whose name and ID collide with a known key's (an attacker can grind 32 bits)
    signs: its line is attributed to the known key, fails, and rejects the whole note."""
    attacker = Signer.generate("PeterNeumann")
    sig = attacker.raw_sign(TEXT.encode())
    line = SignatureLine("PeterNeumann", peter().key_id, sig).format()
    with pytest.raises(InvalidNote, match="invalid signature"):
        open_note((TEXT + "\n" + line).encode(), [peter()])
    # Even next to a good signature of the real key.
    with pytest.raises(InvalidNote, match="invalid signature"):
        open_note(PETER_NOTE + line.encode(), [peter()])


def test_a_known_key_signing_the_wrong_type_is_rejected() -> None:
    """One Ed25519 key used as a note key and a cosignature key: a plain signature
    relabelled with the cosignature key ID does not verify (it has no timestamp)."""
    seed = bytes(range(32))
    plain, witness = Signer("w.example", seed), Signer("w.example", seed, ALG_COSIGNATURE_V1)
    text = Checkpoint("o", 1, bytes(32)).format()
    sig = parse_signature_line(sign(text, plain).decode().split("\n\n")[-1]).signature
    forged = SignatureLine(witness.name, witness.key_id, sig).format()
    with pytest.raises(InvalidNote, match="invalid signature"):
        open_note((text + "\n" + forged).encode(), [witness.verifier()])


# --- signature lines ---------------------------------------------------------------------


def test_parse_signature_line() -> None:
    line = parse_signature_line(PETER_SIG)
    assert (line.name, line.key_id.hex(), len(line.signature)) == ("PeterNeumann", "c74f20a3", 64)
    assert line.format() == PETER_SIG
    for bad in [PETER_SIG[:-1], PETER_SIG + PETER_SIG, "\n", PETER_SIG.replace("—", "-")]:
        with pytest.raises(InvalidNote):
            parse_signature_line(bad)


# --- checkpoints -------------------------------------------------------------------------


def test_c2sp_checkpoint_example_parses_and_formats_back() -> None:
    cp = Checkpoint.parse(SOFA_BODY)
    assert cp.origin == "example.com/behind-the-sofa"
    assert cp.size == 20852163
    assert cp.root == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert cp.extensions == ()
    assert cp.format() == SOFA_BODY
    # Its log signature is of an unpublished key: the note parses but nothing verifies.
    with pytest.raises(InvalidNote, match="no verifiable"):
        open_note((SOFA_BODY + "\n" + SOFA_LOG_SIG).encode(), [peter()])


def test_checkpoint_with_extensions_round_trips_through_a_signed_note() -> None:
    log = Signer.generate("qorgau.example/audit/p7")
    cp = Checkpoint("qorgau.example/audit/p7", 0, hashlib.sha256(b"").digest(), ("ext 1",))
    note = sign(cp.format(), log)
    parsed, opened = open_checkpoint(note, [log.verifier()])
    assert parsed == cp
    assert opened.signers == ("qorgau.example/audit/p7",)
    big = Checkpoint("o", 2**64 - 1, bytes(32))
    assert Checkpoint.parse(big.format()) == big


ROOT = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="


@pytest.mark.parametrize(
    "text",
    [
        f"o\n1\n{ROOT}",  # no final newline
        "o\n1\n",  # two lines
        f"\n1\n{ROOT}\n",  # empty origin
        f"o\n01\n{ROOT}\n",  # leading zero
        f"o\n00\n{ROOT}\n",
        f"o\n-1\n{ROOT}\n",
        f"o\n+1\n{ROOT}\n",
        f"o\n 1\n{ROOT}\n",
        f"o\n1 \n{ROOT}\n",
        f"o\n١\n{ROOT}\n",  # a non-ASCII digit
        f"o\n{2**64}\n{ROOT}\n",  # beyond uint64
        f"o\n\n{ROOT}\n",
        "o\n1\nAAAA\n",  # root not 32 bytes
        f"o\n1\n{ROOT[:-1]}\n",  # root without padding
        f"o\n1\n{ROOT[:-2]}J=\n",  # non-canonical root
        f"o\n1\n{ROOT}\n\n",  # empty extension line
        f"o\n1\n{ROOT}\next\n\nmore\n",
        f"o\x01\n1\n{ROOT}\n",
        f"o\r\n1\n{ROOT}\n",
    ],
)
def test_malformed_checkpoints_are_rejected(text: str) -> None:
    with pytest.raises(InvalidNote):
        Checkpoint.parse(text)


def test_checkpoint_constructor_validates() -> None:
    for args in [
        ("", 1, bytes(32)),
        ("o\nx", 1, bytes(32)),
        ("o", -1, bytes(32)),
        ("o", 2**64, bytes(32)),
        ("o", 1, bytes(31)),
    ]:
        with pytest.raises(InvalidNote):
            Checkpoint(*args)  # type: ignore[arg-type]
    with pytest.raises(InvalidNote):
        Checkpoint("o", 1, bytes(32), ("",))


# --- cosignatures ------------------------------------------------------------------------


def test_c2sp_cosignature_example_structure() -> None:
    line = parse_signature_line(W1_COSIG)
    assert line.name == "witness.example.com/w1"
    assert len(line.signature) == 8 + 64
    assert int.from_bytes(line.signature[:8], "big") == 1679315147
    # tlog-cosignature, "Ed25519 signed message": the example message for that timestamp.
    assert cosigned_message(SOFA_BODY, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\n" + SOFA_BODY.encode()
    )


def test_cosign_and_verify() -> None:
    witness = Signer.generate("witness.qorgau.example/w1", ALG_COSIGNATURE_V1)
    cp = Checkpoint.parse(SOFA_BODY)
    line = cosign(cp, witness, 1679315147)
    parsed = parse_signature_line(line)
    assert parsed.key_id == key_id(witness.name, 0x04, witness.verifier().public_key)
    assert parsed.signature[:8] == (1679315147).to_bytes(8, "big")
    assert verify_cosignature(cp, line, witness.verifier()) == 1679315147
    assert verify_cosignature(cp, line, witness.verifier(), now=1679315147) == 1679315147
    with pytest.raises(InvalidNote, match="future"):
        verify_cosignature(cp, line, witness.verifier(), now=1679315146)


def test_cosignature_is_a_note_signature_on_the_checkpoint() -> None:
    """tlog-witness: the client appends the witness's lines to its signed checkpoint."""
    log = Signer.generate("qorgau.example/audit/p1")
    witness = Signer.generate("witness.qorgau.example", ALG_COSIGNATURE_V1)
    cp = Checkpoint("qorgau.example/audit/p1", 5, bytes(range(32)))
    note = sign(cp.format(), log) + cosign(cp, witness, 1_700_000_000).encode()
    assert open_note(note, [log.verifier(), witness.verifier()]).signers == (
        log.name,
        witness.name,
    )
    assert open_note(note, [witness.verifier()]).signers == (witness.name,)
    # The cosignature does not verify as a plain signature of the note text, nor does it
    # verify once the checkpoint changes.
    tampered = note.replace(b"\n5\n", b"\n6\n")
    with pytest.raises(InvalidNote):
        open_note(tampered, [witness.verifier()])


def test_tampered_cosignatures_are_rejected() -> None:
    witness = Signer.generate("witness.qorgau.example", ALG_COSIGNATURE_V1)
    other = Signer.generate("witness.qorgau.example", ALG_COSIGNATURE_V1)
    cp = Checkpoint("qorgau.example/audit/p1", 5, bytes(range(32)))
    line = cosign(cp, witness, 1_700_000_000)
    parsed = parse_signature_line(line)
    payload = parsed.signature

    def relined(p: bytes, name: str = witness.name, kid: bytes = parsed.key_id) -> str:
        return SignatureLine(name, kid, p).format()

    bad_lines = {
        "timestamp changed": relined((1_700_000_001).to_bytes(8, "big") + payload[8:]),
        "signature byte flipped": relined(payload[:20] + bytes([payload[20] ^ 1]) + payload[21:]),
        "timestamp above 2^63-1": relined(b"\x80" + payload[1:]),
        "truncated": relined(payload[:-1]),
        "extended": relined(payload + b"\x00"),
        "no timestamp": relined(payload[8:]),
        "wrong name": relined(payload, name="witness.qorgau.example/x"),
        "other key, same name": cosign(cp, other, 1_700_000_000),
        "colliding key ID": relined(
            other.raw_sign(cosigned_message(cp.format(), 1_700_000_000)), kid=witness.key_id
        ),
        "no newline": line[:-1],
        "truncated base64": line[:-6] + "\n",
    }
    for name, bad in bad_lines.items():
        with pytest.raises(InvalidNote):
            verify_cosignature(cp, bad, witness.verifier())
        note = sign(cp.format(), Signer.generate("log")) + bad.encode()
        with pytest.raises(InvalidNote):
            open_note(note, [witness.verifier()])
        assert name
    changed = Checkpoint(cp.origin, cp.size, cp.root, ("ext",))
    with pytest.raises(InvalidNote):
        verify_cosignature(changed, line, witness.verifier())


def test_cosign_argument_checks() -> None:
    cp = Checkpoint.parse(SOFA_BODY)
    with pytest.raises(ValueError, match="0x04"):
        cosign(cp, Signer.from_skey(PETER_SKEY), 1)
    witness = Signer.generate("w.example", ALG_COSIGNATURE_V1)
    for ts in (0, -1, 2**63):
        with pytest.raises(ValueError, match="timestamp"):
            cosign(cp, witness, ts)
    with pytest.raises(ValueError, match="0x04"):
        verify_cosignature(cp, PETER_SIG, peter())
