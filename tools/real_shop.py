"""The real Magento of ``--real`` soak and benchmark runs: where it is (the
REAL_MAGENTO_* variables, as for tools/contract.sh), fresh guest orders made
in it within a time limit, the addon's own REST client on it, and what this
machine is doing while it is measured. Plain Python, no Odoo.

    REAL_MAGENTO_URL=http://127.0.0.1:8280      this machine only
    REAL_MAGENTO_KEYS=/path/keys.json           consumer_key, consumer_secret, access_token, access_token_secret
    REAL_MAGENTO_ADMIN='admin:password'         to make orders (guest carts need no login; the catalogue does)
    [REAL_MAGENTO_STORE=default] [REAL_MAGENTO_ROOT=/opt/magento246: reindexed once the catalogue is made]
"""

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from harness import ADDON, ROOT, SOURCE
from real_magento import RealMagento, reindexer

KEYS = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
# The orders of these runs: three lines, a configurable among them, in as many
# units as the order has partial invoices (real orders take about a second each
# to make, their invoices a tenth of that: one order carries several invoices,
# as a shop shipping in parts sends them).
LINES = (("RM-BAG", 1), ("RM-TEE", 1), ("RM-HOODIE", 1, "Red"))
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class RealTarget:
    """The Magento named by REAL_MAGENTO_*: refused unless it is on this machine
    (these runs create orders and invoices in it)."""

    def __init__(self, environ=os.environ):
        missing = [
            name for name in ("REAL_MAGENTO_URL", "REAL_MAGENTO_KEYS", "REAL_MAGENTO_ADMIN") if not environ.get(name)
        ]
        if missing:
            raise SystemExit(f"{', '.join(missing)} not set (see tools/real_shop.py)")
        self.url = environ["REAL_MAGENTO_URL"].rstrip("/")
        if urlsplit(self.url).hostname not in LOOPBACK:
            raise SystemExit(f"REAL_MAGENTO_URL must be a Magento on this machine (127.0.0.1), not {self.url}")
        with open(environ["REAL_MAGENTO_KEYS"], encoding="utf-8") as handle:
            data = json.load(handle)
        self.credentials = {key: data[key] for key in KEYS}
        self.admin_user, _, self.admin_password = environ["REAL_MAGENTO_ADMIN"].partition(":")
        self.store = environ.get("REAL_MAGENTO_STORE", "default")
        self.root = environ.get("REAL_MAGENTO_ROOT")

    def shop(self):
        """A RealMagento (one per thread: it keeps a requests session)."""
        reindex = reindexer(self.root) if self.root else None
        return RealMagento(self.url, self.admin_user, self.admin_password, self.store, reindex=reindex)

    def client(self, url=None, timeout=30):
        """The addon's own client, signed with the integration's keys (for ``url``: a proxy in front)."""
        # Plain Python, taken from the addon Odoo runs (the snapshot, see use_addon).
        if str(ROOT / ADDON) not in sys.path:
            sys.path.insert(0, str(ROOT / ADDON))
        from magento_client import MagentoClient

        return MagentoClient(url or self.url, store_code=self.store, timeout=timeout, **self.credentials)


def use_addon(ref):
    """Run the addon as committed at ``ref`` (e.g. HEAD) instead of the work
    tree's copy the harness took: the work tree may be in the middle of an edit.
    Returns what the run measures, for its first line."""
    head = subprocess.run(["git", "-C", str(SOURCE), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if not ref:
        return f"the addon of the work tree (HEAD {head.stdout.strip()})"
    archive = subprocess.run(
        ["git", "-C", str(SOURCE), "archive", "--format=tar", ref, ADDON], capture_output=True, check=True
    ).stdout
    shutil.rmtree(ROOT / ADDON)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(ROOT, filter="data")
    commit = subprocess.run(["git", "-C", str(SOURCE), "rev-parse", "--short", ref], capture_output=True, text=True)
    return f"the addon committed at {ref} ({commit.stdout.strip()})"


def make_orders(target, per_order, count, limit_seconds, threads=2):
    """``count`` fresh guest orders of LINES, each line in ``per_order`` units,
    as GET /V1/orders/:id gives them, made by ``threads`` carts at once (Magento
    serves a few requests at a time). Stops with an error past ``limit_seconds``:
    real orders are slow to make, the run must stay bounded."""
    lines = [(line[0], line[1] * per_order, *line[2:]) for line in LINES]
    # Once, before the threads: it may create products and reindex. Each thread's
    # shop is handed what it read (about 25 requests saved per thread).
    catalogue = target.shop().catalogue()
    deadline = time.monotonic() + limit_seconds
    local = threading.local()

    def one(_index):
        if time.monotonic() > deadline:
            raise TimeoutError(f"making {count} orders took more than {limit_seconds} s")
        if not hasattr(local, "shop"):
            local.shop = target.shop()
            local.shop._catalogue = catalogue
        return local.shop.add_order(lines)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(one, range(count)))


def order_file(orders, folder):
    """The orders as a JSON file an Odoo shell reads (scenario.make_invoices' input)."""
    path = Path(folder) / f"orders-{orders[0]['entity_id']}.json"
    path.write_text(json.dumps(orders))
    return str(path)


def php_workers(target):
    """PHP_CLI_SERVER_WORKERS of the PHP built-in server serving ``target``, read
    from its environment (/proc), or a note saying why it is unknown."""
    root = target.root or "/opt/magento246"
    try:
        pid = Path(root, "var", "phpserver.pid").read_text().strip()
        environ = Path("/proc", pid, "environ").read_bytes().split(b"\0")
    except OSError as error:
        return f"unknown ({error.strerror})"
    for entry in environ:
        if entry.startswith(b"PHP_CLI_SERVER_WORKERS="):
            return entry.split(b"=", 1)[1].decode()
    return "unset (1)"


def load():
    """The load averages (1, 5, 15 min) and the core count: the machine is shared."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"
