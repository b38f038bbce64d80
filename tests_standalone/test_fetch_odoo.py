"""tools/fetch_odoo.py: download, checksum, unpack, against an archive served on 127.0.0.1."""

import hashlib
import io
import os
import subprocess
import sys
import tarfile
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import fetch_odoo


def _archive(folder, release="version_info = (18, 0, 0, 'final', 0, '')\n", mode="w:gz", top="odoo-18.0"):
    """A tiny stand-in for an Odoo source archive: odoo-18.0/odoo-bin and odoo/release.py."""
    path = folder / "odoo.tar.gz"
    with tarfile.open(path, mode) as tar:
        for name, text in ((f"{top}/odoo-bin", "#!/usr/bin/env python3\n"), (f"{top}/odoo/release.py", release)):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def served(tmp_path):
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_downloads_checks_and_unpacks(served):
    folder, url = served
    _path, sha256 = _archive(folder)
    destination = folder / "cache" / "odoo-18.0"
    assert fetch_odoo.main(["fetch", f"{url}/odoo.tar.gz", sha256, str(destination)]) == 0
    assert (destination / "odoo-bin").is_file()
    assert "(18, 0" in (destination / "odoo" / "release.py").read_text()


def _files_digest(release="version_info = (18, 0, 0, 'final', 0, '')\n"):
    """The ``files:`` checksum, computed here from the two files themselves."""
    lines = sorted(
        f"{name}\0{hashlib.sha256(text.encode()).hexdigest()}\n"
        for name, text in (("odoo-bin", "#!/usr/bin/env python3\n"), ("odoo/release.py", release))
    )
    return "files:" + hashlib.sha256("".join(lines).encode()).hexdigest()


@pytest.mark.parametrize("mode,top", [("w:gz", "odoo-18.0"), ("w", "core-504b0670"), ("w:xz", "other-top")])
def test_the_files_checksum_holds_whatever_the_packing(served, mode, top):
    folder, url = served
    path, _sha256 = _archive(folder, mode=mode, top=top)
    destination = folder / "cache" / "odoo-18.0"
    assert fetch_odoo.main(["fetch", f"{url}/{path.name}", _files_digest(), str(destination)]) == 0
    assert (destination / "odoo-bin").is_file()


def test_a_wrong_files_checksum_unpacks_nothing(served, capsys):
    folder, url = served
    _archive(folder, release="version_info = (18, 0, 1, 'final', 0, '')\n")
    destination = folder / "cache" / "odoo-18.0"
    assert fetch_odoo.main(["fetch", f"{url}/odoo.tar.gz", _files_digest(), str(destination)]) == 1
    assert "not the pinned files:" in capsys.readouterr().err
    assert not destination.exists()


def test_a_wrong_checksum_unpacks_nothing(served, capsys):
    folder, url = served
    _archive(folder)
    destination = folder / "cache" / "odoo-18.0"
    assert fetch_odoo.main(["fetch", f"{url}/odoo.tar.gz", "0" * 64, str(destination)]) == 1
    assert "not the pinned" in capsys.readouterr().err
    assert not destination.exists()


def test_another_version_is_refused(served):
    folder, url = served
    _path, sha256 = _archive(folder, release="version_info = (17, 0, 0, 'final', 0, '')\n")
    destination = folder / "cache" / "odoo-18.0"
    assert fetch_odoo.main(["fetch", f"{url}/odoo.tar.gz", sha256, str(destination)]) == 1
    assert not destination.exists()


def test_no_network_says_so(tmp_path, capsys):
    with socket_closed_port() as port:
        code = fetch_odoo.main(["fetch", f"http://127.0.0.1:{port}/odoo.tar.gz", "0" * 64, str(tmp_path / "o")])
    assert code == 2
    assert "could not be downloaded" in capsys.readouterr().err


def socket_closed_port():
    import contextlib
    import socket

    @contextlib.contextmanager
    def port():
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            number = sock.getsockname()[1]
        yield number

    return port()


def _ensure_odoo(tmp_path, url, sha256):
    """tools/lib.sh's ensure_odoo, as the test and demo commands call it, in a fresh cache."""
    root = Path(__file__).resolve().parent.parent
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "ODOO_ARCHIVE_URL": url,
        "ODOO_ARCHIVE_SHA256": sha256,
    }
    script = (
        f'. "{root}/tools/lib.sh"; ensure_odoo || odoo_missing_notice "ODOO SUITE DID NOT RUN"; echo "HAVE=$HAVE_ODOO"'
    )
    return subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60)


def test_the_test_command_fetches_then_uses_the_tree(served, tmp_path):
    """Download, check, unpack, use: ensure_odoo finds Odoo 18.0 in the cache afterwards."""
    folder, url = served
    _path, sha256 = _archive(folder)
    done = _ensure_odoo(tmp_path, f"{url}/odoo.tar.gz", sha256)
    assert "HAVE=1" in done.stdout, done.stdout + done.stderr
    assert (tmp_path / "cache" / "odoo-18.0" / "odoo-bin").is_file()


def test_the_test_command_says_so_in_one_paragraph_when_refused(served, tmp_path):
    folder, url = served
    _archive(folder)
    done = _ensure_odoo(tmp_path, f"{url}/odoo.tar.gz", "0" * 64)
    assert "HAVE=0" in done.stdout
    assert "ODOO SUITE DID NOT RUN" in done.stdout and "ODOO_ARCHIVE_SHA256" in done.stdout
    assert "refused" in done.stderr
    assert not (tmp_path / "cache" / "odoo-18.0").exists()
