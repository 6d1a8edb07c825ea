"""The demo's own certificate authority, so that a kiosk registered in the demo gets a real bundle.

Made once with openssl (in Debian's base system) and kept in the demo's folder: a CA, and a
certificate for the broker's TLS listener on 127.0.0.1 signed by it. Never for an office: the
installation makes the office's own (scripts/install-collector).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from hailong.server.broker.private import BrokerError

EC = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
DAYS = "3650"


def demo_tls(folder: Path) -> tuple[Path, Path, Path]:
    """Return (CA certificate, broker certificate, broker key) in folder, made on the first run."""
    ca_key, ca_cert = folder / "ca.key", folder / "ca.crt"
    key, cert = folder / "broker.key", folder / "broker.crt"
    if not all(p.exists() for p in (ca_cert, cert, key)):
        if shutil.which("openssl") is None:
            raise BrokerError("openssl is not installed (Debian package 'openssl')")
        folder.mkdir(parents=True, exist_ok=True)
        csr, ext = folder / "broker.csr", folder / "san.ext"
        ext.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        _openssl("req", "-x509", *EC, "-keyout", ca_key, "-out", ca_cert, "-days", DAYS,
                 "-subj", "/CN=hailong demo CA")  # fmt: skip
        _openssl("req", "-new", *EC, "-keyout", key, "-out", csr, "-subj", "/CN=localhost")
        _openssl("x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key, "-CAcreateserial",
                 "-out", cert, "-days", DAYS, "-extfile", ext)  # fmt: skip
    return ca_cert, cert, key


def _openssl(*args) -> None:
    """Run openssl; raise its own message when it fails."""
    done = subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True, timeout=60)
    if done.returncode:
        raise BrokerError(f"openssl {args[0]} failed: {done.stderr.strip()}")
