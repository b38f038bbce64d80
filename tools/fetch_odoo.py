"""Download an Odoo 18.0 community source archive, check its SHA-256, unpack it.

    python tools/fetch_odoo.py URL SHA256 DESTINATION

Used by tools/lib.sh when neither ODOO_PATH nor the cache holds Odoo 18.0.
Nothing is unpacked unless the checksum matches and the archive holds an
Odoo 18.0 tree (odoo-bin at its top, release 18.0). Exit codes: 0 done,
1 refused (checksum, content), 2 could not download.
"""

import hashlib
import os
import re
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path


class Refused(Exception):
    pass


def download(url, target, timeout=60):
    with urllib.request.urlopen(url, timeout=timeout) as response, open(target, "wb") as handle:
        shutil.copyfileobj(response, handle, 1 << 20)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def unpack(archive, destination):
    """Unpack into ``destination``, the archive's single top folder taken off."""
    destination = Path(destination)
    staging = Path(tempfile.mkdtemp(prefix="odoo-unpack-", dir=destination.parent))
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(staging, filter="data")
        entries = list(staging.iterdir())
        top = entries[0] if len(entries) == 1 and entries[0].is_dir() else staging
        release = top / "odoo" / "release.py"
        if not (top / "odoo-bin").is_file() or not release.is_file():
            raise Refused("the archive holds no Odoo source tree (no odoo-bin, no odoo/release.py)")
        if not re.search(r"version_info = \(18, 0", release.read_text(encoding="utf-8", errors="replace")):
            raise Refused("the archive holds another Odoo version than 18.0")
        if destination.exists():
            shutil.rmtree(destination)
        top.rename(destination)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def fetch(url, sha256, destination):
    if not sha256:
        raise Refused(f"no SHA-256 is pinned for {url}: set ODOO_ARCHIVE_SHA256")
    Path(destination).parent.mkdir(parents=True, exist_ok=True)
    fd, archive = tempfile.mkstemp(suffix=".tar.gz", dir=Path(destination).parent)
    os.close(fd)
    try:
        download(url, archive)
        actual = sha256_of(archive)
        if actual != sha256.lower():
            raise Refused(f"its SHA-256 is {actual}, not the pinned {sha256}: nothing was unpacked")
        unpack(archive, destination)
    finally:
        os.unlink(archive)


def main(argv):
    url, sha256, destination = argv[1:4]
    try:
        fetch(url, sha256, destination)
    except Refused as error:
        print(f"Odoo archive from {url} refused: {error}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError, TimeoutError) as error:
        print(f"Odoo archive could not be downloaded from {url}: {error}", file=sys.stderr)
        return 2
    print(f"Odoo 18.0 unpacked into {destination}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
