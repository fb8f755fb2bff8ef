"""The log's side of tlog-witness ``add-checkpoint``: ask a witness for its cosignature.

``WitnessClient(url, verifier, timeout).add_checkpoint(old_size, proof, signed_note)``
returns the witness's cosignature line(s), each verified against ``verifier`` over the
checkpoint sent (lines of other keys are ignored, as the spec asks). Failures:

- :class:`WitnessConflict`: 409, the witness last cosigned ``size`` (send a proof from it);
- :class:`WitnessRefused`: another 4xx (``status``, the witness's one-line ``message``);
- :class:`WitnessUnavailable`: no connection, a timeout, a 5xx; its subclass
  :class:`WitnessBadResponse` an answer that breaks the protocol (no valid cosignature of
  the witness's key, a malformed 409, an oversized or unexpected response).

One keep-alive connection pool per client; close it with :meth:`WitnessClient.close` or
use the client as a context manager.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from types import TracebackType

import httpx

from qorgau.audit.merkle import HASH_SIZE
from qorgau.audit.note import (
    ALG_COSIGNATURE_V1,
    Checkpoint,
    InvalidNote,
    Verifier,
    parse_signature_line,
    verify_cosignature,
)

__all__ = [
    "MAX_RESPONSE",
    "WitnessBadResponse",
    "WitnessClient",
    "WitnessConflict",
    "WitnessError",
    "WitnessRefused",
    "WitnessUnavailable",
    "request_body",
]

#: A witness's answer is a few signature lines: anything longer is not read.
MAX_RESPONSE = 64 * 1024
_MAX_PROOF = 63
_SIZE_TYPE = "text/x.tlog.size"


class WitnessError(Exception):
    """A witness did not cosign."""


class WitnessConflict(WitnessError):
    """409: the witness's latest cosigned size is ``size``, not the old size sent."""

    def __init__(self, size: int) -> None:
        super().__init__(f"the witness last cosigned size {size}")
        self.size = size


class WitnessRefused(WitnessError):
    """A 4xx other than 409: the witness refused this checkpoint or request."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"the witness refused ({status}): {message}")
        self.status = status
        self.message = message


class WitnessUnavailable(WitnessError):
    """The witness could not be reached in time, or failed (5xx): try again later."""


class WitnessBadResponse(WitnessUnavailable):
    """The witness answered, but not as the protocol says (e.g. no valid cosignature)."""


def _checkpoint_of(signed_note: bytes) -> Checkpoint:
    split = signed_note.rfind(b"\n\n")
    if split < 0:
        raise ValueError("signed_note is not a signed note")
    try:
        return Checkpoint.parse(signed_note[: split + 1].decode("utf-8"))
    except (UnicodeDecodeError, InvalidNote) as exc:
        raise ValueError(f"signed_note is not a checkpoint: {exc}") from None


def request_body(old_size: int, proof: Sequence[bytes], signed_note: bytes) -> bytes:
    """The add-checkpoint body: ``old <size>``, the proof lines, a blank line, the note."""
    if type(old_size) is not int or not 0 <= old_size < 2**64:
        raise ValueError("old_size is a tree size")
    if len(proof) > _MAX_PROOF or any(len(h) != HASH_SIZE for h in proof):
        raise ValueError(f"a proof is at most {_MAX_PROOF} hashes of {HASH_SIZE} bytes")
    lines = [f"old {old_size}\n".encode()]
    lines += [base64.b64encode(h) + b"\n" for h in proof]
    return b"".join(lines) + b"\n" + signed_note


class WitnessClient:
    """A client of one witness at ``url`` (its submission prefix), whose cosignature key
    is ``verifier`` (type 0x04); ``timeout`` in seconds for each request."""

    def __init__(self, url: str, verifier: Verifier, timeout: float) -> None:
        if verifier.alg != ALG_COSIGNATURE_V1:
            raise ValueError("a witness is known by its cosignature/v1 (type 0x04) key")
        self.base = url.rstrip("/")
        self.url = self.base + "/add-checkpoint"
        self.verifier = verifier
        self._http = httpx.Client(timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> WitnessClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def add_checkpoint(self, old_size: int, proof: list[bytes], signed_note: bytes) -> str:
        """Send ``signed_note`` (the log's checkpoint) with a consistency proof from
        ``old_size``; the witness's verified cosignature line(s), newline-terminated."""
        checkpoint = _checkpoint_of(signed_note)
        body = request_body(old_size, proof, signed_note)
        status, content_type, answer = self._post(body)
        if status == 200:
            return self._cosignatures(checkpoint, answer)
        text = answer.decode("utf-8", "replace")
        if status == 409:
            size = text[:-1] if text.endswith("\n") else ""
            if content_type != _SIZE_TYPE or not size.isdigit() or str(int(size)) != size:
                raise WitnessBadResponse("malformed 409 answer from the witness")
            raise WitnessConflict(int(size))
        if 400 <= status < 500:
            raise WitnessRefused(status, " ".join(text.split())[:200])
        if status >= 500:
            raise WitnessUnavailable(f"the witness answered {status}")
        raise WitnessBadResponse(f"unexpected status {status} from the witness")

    def latest_size(self, origin: str) -> int | None:
        """The size of the newest checkpoint of ``origin`` the witness cosigned (its monitor
        endpoint, ``GET /<sha256(origin)>/checkpoint``), checked by the witness's own
        cosignature; None when it cosigned none."""
        url = f"{self.base}/{hashlib.sha256(origin.encode()).hexdigest()}/checkpoint"
        try:
            response = self._http.get(url)
        except httpx.HTTPError as exc:
            raise WitnessUnavailable(f"witness unreachable: {type(exc).__name__}") from None
        if response.status_code == 404:
            return None
        if response.status_code != 200 or len(response.content) > MAX_RESPONSE:
            raise WitnessBadResponse(f"unexpected status {response.status_code} from the witness")
        note = response.content
        split = note.rfind(b"\n\n")
        try:
            checkpoint = Checkpoint.parse(note[: split + 1].decode("utf-8"))
            lines = note[split + 2 :].decode("utf-8").splitlines()
        except (InvalidNote, UnicodeDecodeError, ValueError):
            raise WitnessBadResponse("the witness's checkpoint is malformed") from None
        for line in lines:
            try:
                verify_cosignature(checkpoint, line + "\n", self.verifier)
            except InvalidNote:
                continue
            if checkpoint.origin != origin:
                break
            return checkpoint.size
        raise WitnessBadResponse("the witness's checkpoint carries no valid cosignature of it")

    def _post(self, body: bytes) -> tuple[int, str, bytes]:
        try:
            with self._http.stream("POST", self.url, content=body) as response:
                chunks: list[bytes] = []
                seen = 0
                for chunk in response.iter_bytes():
                    seen += len(chunk)
                    if seen > MAX_RESPONSE:
                        raise WitnessBadResponse("the witness's answer is too long")
                    chunks.append(chunk)
                content_type = response.headers.get("content-type", "")
                return response.status_code, content_type, b"".join(chunks)
        except httpx.HTTPError as exc:  # connection refused or reset, timeouts, bad HTTP
            raise WitnessUnavailable(f"witness unreachable: {type(exc).__name__}") from None

    def _cosignatures(self, checkpoint: Checkpoint, answer: bytes) -> str:
        try:
            text = answer.decode("utf-8")
        except UnicodeDecodeError:
            raise WitnessBadResponse("the witness's answer is not UTF-8") from None
        if not text.endswith("\n"):
            raise WitnessBadResponse("the witness's answer is not signature lines")
        mine = (self.verifier.name, self.verifier.key_id)
        verified: list[str] = []
        for line in (f"{raw}\n" for raw in text[:-1].split("\n")):
            try:
                if parse_signature_line(line)[:2] != mine:
                    continue  # another key's: ignored
                verify_cosignature(checkpoint, line, self.verifier)
            except InvalidNote as exc:
                raise WitnessBadResponse(f"bad cosignature line: {exc}") from None
            verified.append(line)
        if not verified:
            raise WitnessBadResponse("no cosignature of the witness's key in its answer")
        return "".join(verified)
