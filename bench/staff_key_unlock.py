"""What a staff sign-in costs in key work, at Ombud's default Argon2id costs.

    .venv/bin/python bench/staff_key_unlock.py [--rounds 5]

Times wrapping a private key (first password, password change) and unwrapping
it (every sign-in) with 64 MiB and 3 passes, and reports the process's peak
memory. Framework-free: it measures ombud.crypto alone.
"""

from __future__ import annotations

import argparse
import resource
import secrets
import statistics
import time

from ombud.crypto import boxes, passwords


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    pepper = secrets.token_bytes(32)
    pair = boxes.keypair()
    wraps, unwraps = [], []
    for _ in range(args.rounds):
        started = time.perf_counter()
        wrapped = passwords.wrap(
            pair.private, "a long passphrase", pepper, passwords.MODERATE, b"bench"
        )
        wraps.append(time.perf_counter() - started)
        started = time.perf_counter()
        if passwords.unwrap(wrapped, "a long passphrase", pepper, b"bench") != pair.private:
            raise SystemExit("unwrap gave another key")
        unwraps.append(time.perf_counter() - started)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("| operation | median ms | max ms |")
    print("|---|---:|---:|")
    print(
        f"| wrap (password set) | {statistics.median(wraps) * 1000:.0f} | {max(wraps) * 1000:.0f} |"
    )
    median, worst = statistics.median(unwraps) * 1000, max(unwraps) * 1000
    print(f"| unwrap (sign-in) | {median:.0f} | {worst:.0f} |")
    print(
        f"\nArgon2id {passwords.MODERATE.memlimit // 2**20} MiB, {passwords.MODERATE.opslimit} "
        f"passes; peak memory {peak:.0f} MB over {args.rounds} rounds"
    )


if __name__ == "__main__":
    main()
