"""Reading and verifying the audit log."""

from __future__ import annotations

from dataclasses import dataclass

from ombud.audit.models import AuditCheckpoint, AuditEntry, AuditHead
from ombud.crypto import chain, signing
from ombud.crypto.errors import CryptoError


@dataclass(frozen=True)
class Verification:
    entries: int
    checkpoints: int
    problem: str | None = None
    seq: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def audit_verify(
    *, public_key: str, expect: dict[int, str] | None = None, chunk: int = 2000
) -> Verification:
    """Recompute the chain, check every checkpoint's signature and hash, and any
    hashes the caller kept elsewhere (``expect``: sequence number to hash)."""
    # The head first: entries written while we verify are beyond it and not judged.
    head = AuditHead.objects.get(pk=1)
    checkpoints = list(AuditCheckpoint.objects.filter(seq__lte=head.seq))
    for checkpoint in checkpoints:
        if checkpoint.public_key != public_key:
            return Verification(
                0,
                0,
                f"the checkpoint at entry {checkpoint.seq} was signed by another key "
                f"({checkpoint.public_key[:16]}…)",
                checkpoint.seq,
            )
        try:
            signing.verify(checkpoint.public_key, checkpoint.message(), checkpoint.signature)
        except CryptoError:
            return Verification(
                0,
                0,
                f"the checkpoint at entry {checkpoint.seq} has a bad signature",
                checkpoint.seq,
            )
    wanted: dict[int, list[tuple[str, str]]] = {}
    for checkpoint in checkpoints:
        if checkpoint.seq:
            wanted.setdefault(checkpoint.seq, []).append(
                (checkpoint.entry_hash, f"the signed {checkpoint.kind} checkpoint")
            )
    for seq, digest in (expect or {}).items():
        wanted.setdefault(seq, []).append((digest, "the hash you gave"))

    verifier = chain.Verifier()
    entries = AuditEntry.objects.filter(seq__lte=head.seq).order_by("seq")
    for row in entries.iterator(chunk_size=chunk):
        problem = verifier.feed(row.as_chain_entry())
        if problem is not None:
            return Verification(verifier.count, len(checkpoints), problem.reason, problem.seq)
        for digest, source in wanted.pop(row.seq, []):
            if digest != row.hash:
                return Verification(
                    verifier.count,
                    len(checkpoints),
                    f"entry {row.seq} differs from {source}: the log was rewritten",
                    row.seq,
                )
    if wanted:
        first = min(wanted)
        return Verification(
            verifier.count,
            len(checkpoints),
            f"entry {first} is missing: entries after {verifier.expected_seq - 1} were removed",
            first,
        )
    if head.seq != verifier.expected_seq - 1 or head.hash != verifier.last_hash:
        return Verification(
            verifier.count,
            len(checkpoints),
            f"the log ends at entry {verifier.expected_seq - 1} but its head records entry "
            f"{head.seq}: entries were removed from the end",
            verifier.expected_seq,
        )
    return Verification(verifier.count, len(checkpoints))
