import subprocess
import sys


def test_the_crypto_package_imports_no_django_and_reads_no_settings():
    code = (
        "import sys, ombud.crypto.aead, ombud.crypto.boxes, ombud.crypto.passwords, "
        "ombud.crypto.shamir, ombud.crypto.chain, ombud.crypto.signing, ombud.crypto.receipts, "
        "ombud.crypto.tokens\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin"},
    )
    assert result.stdout.strip() == "[]"
