"""Download an Odoo 18.0 community source archive, check its SHA-256, unpack it.

    python tools/fetch_odoo.py URL SHA256 DESTINATION
    python tools/fetch_odoo.py --digest ARCHIVE     (or - for a tar on stdin)

Used by tools/lib.sh when neither ODOO_PATH nor the cache holds Odoo 18.0.
Nothing is unpacked unless the checksum matches and the archive holds an
Odoo 18.0 tree (odoo-bin at its top, release 18.0). Exit codes: 0 done,
1 refused (checksum, content), 2 could not download.

The checksum is either the SHA-256 of the archive file (``sha256sum``) or
``files:`` and the SHA-256 of its files (every file's path, below the top
folder, and the SHA-256 of its content, in path order): the second does not
depend on how the archive was compressed or packed, so it pins a source tree
served as a generated archive (a Git host's) whose bytes are not promised
stable. ``--digest`` prints it for an archive, e.g. for a Git commit:
``git archive COMMIT | python tools/fetch_odoo.py --digest -``.
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


def files_digest(tar):
    """``files:`` + SHA-256 of the archive's files, the single top folder taken off."""
    entries = []
    for member in tar:
        if member.isdir() or member.type in (tarfile.XGLTYPE, tarfile.XHDTYPE):
            continue
        parts = member.name.strip("/").split("/")
        if member.isreg():
            digest = hashlib.sha256()
            handle = tar.extractfile(member)
            for block in iter(lambda handle=handle: handle.read(1 << 20), b""):
                digest.update(block)
            entries.append((parts, digest.hexdigest()))
        else:  # a link pins its target
            entries.append((parts, "->" + member.linkname))
    if entries and len({parts[0] for parts, _ in entries}) == 1 and all(len(p) > 1 for p, _ in entries):
        entries = [(parts[1:], value) for parts, value in entries]
    total = hashlib.sha256()
    for path, value in sorted(("/".join(parts), value) for parts, value in entries):
        total.update(path.encode() + b"\0" + value.encode() + b"\n")
    return "files:" + total.hexdigest()


def check_checksum(archive, pinned):
    pinned = pinned.strip().lower()
    if pinned.startswith("files:"):
        with tarfile.open(archive) as tar:
            actual = files_digest(tar)
    else:
        actual = sha256_of(archive)
    if actual != pinned:
        raise Refused(f"its checksum is {actual}, not the pinned {pinned}: nothing was unpacked")


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
        check_checksum(archive, sha256)
        unpack(archive, destination)
    finally:
        os.unlink(archive)


def main(argv):
    if argv[1:2] == ["--digest"]:
        with tarfile.open(fileobj=sys.stdin.buffer, mode="r|*") if argv[2] == "-" else tarfile.open(argv[2]) as tar:
            print(files_digest(tar))
        return 0
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
