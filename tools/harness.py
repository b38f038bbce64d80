"""Odoo 18.0 and the Magento double as real processes, for the soak run, the
benchmark and the demo. Runs inside a pg_virtualenv cluster (PG* variables set).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent
ADDON = "magento_invoice_export"


def _snapshot():
    """A copy of the repository as it is now: a long run must not see later edits."""
    folder = Path(tempfile.mkdtemp(prefix="mie-repo-"))
    shutil.copytree(
        SOURCE, folder, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".git", "__pycache__", "*.pyc", ".*cache")
    )
    return folder


# The snapshot's top holds the addon's folder (so it is an addons path) and the
# double, which runs from there.
ROOT = ADDONS_DIR = _snapshot()
TOOLS = ROOT / "tools"


def ensure_role():
    """Odoo refuses the postgres role: use our own."""
    subprocess.run(
        [
            "psql",
            "-q",
            "-c",
            "DO $$BEGIN CREATE ROLE odoo LOGIN SUPERUSER PASSWORD 'odoo'; "
            "EXCEPTION WHEN duplicate_object THEN NULL; END$$;",
        ],
        check=True,
    )


# Odoo's own online services (partner autocomplete, IAP...) must not reach out
# from here: their requests go to a dead local proxy and fail at once, without
# even a DNS query. Loopback (the Magento double) is exempt.
OFFLINE = {
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}


def offline_env():
    return {**os.environ, **OFFLINE}


class Odoo:
    """One Odoo database, driven through odoo-bin."""

    def __init__(self, db, odoo_path):
        self.db = db
        self.odoo_path = Path(odoo_path)
        self.addons_dir = ADDONS_DIR
        self.data_dir = Path(tempfile.mkdtemp(prefix="mie-data-"))

    def cleanup(self):
        shutil.rmtree(self.addons_dir, ignore_errors=True)
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def args(self, command=None):
        args = [sys.executable, str(self.odoo_path / "odoo-bin")]
        if command:
            args.append(command)
        return args + [
            f"--db_host={os.environ['PGHOST']}",
            f"--db_port={os.environ['PGPORT']}",
            "--db_user=odoo",
            "--db_password=odoo",
            f"--database={self.db}",
            f"--addons-path={self.odoo_path / 'addons'},{self.addons_dir}",
            f"--data-dir={self.data_dir}",
            # Offline here: don't report Odoo's online services failing to reach out.
            "--log-handler=odoo.addons.iap.tools.iap_tools:CRITICAL",
            "--log-handler=odoo.addons.partner_autocomplete:CRITICAL",
        ]

    def install(self, modules=ADDON, demo=False):
        args = self.args() + ["-i", modules, "--stop-after-init", "--log-level=warn", "--no-http"]
        if not demo:
            args.append("--without-demo=all")
        subprocess.run(args, check=True, env=offline_env())

    def serve_jobs(self, workers=2, channels="root:4,root.magento:2"):
        """An Odoo server with ``workers`` workers and queue_job's job runner
        (OCA queue_job, loaded server-wide): the jobs of root.magento run on
        them, up to the channel's capacity at once. Returns the process."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        env = {
            **offline_env(),
            "ODOO_QUEUE_JOB_CHANNELS": channels,
            "ODOO_QUEUE_JOB_HOST": "127.0.0.1",
            "ODOO_QUEUE_JOB_PORT": str(port),
        }
        return subprocess.Popen(
            self.args()
            + [
                f"--workers={workers}",
                "--max-cron-threads=0",
                # A batch under faults may outlast Odoo's default 120 s per request.
                "--limit-time-real=1800",
                "--limit-time-cpu=1800",
                "--load=base,web,queue_job",
                "--http-interface=127.0.0.1",
                f"--http-port={port}",
                "--log-level=warn",
            ],
            env=env,
        )

    def _script(self, code):
        return f"import sys\nsys.path.insert(0, {str(TOOLS)!r})\n{code}\n"

    def shell(self, code):
        """Run Python in an Odoo shell; return what it printed after RESULT:."""
        done = subprocess.run(
            self.args("shell") + ["--no-http", "--log-level=warn"],
            input=self._script(code),
            capture_output=True,
            text=True,
            env=offline_env(),
        )
        return _result(done.stdout, done.stderr, done.returncode)

    def shell_popen(self, code):
        with tempfile.TemporaryFile("w+") as script:
            script.write(self._script(code))
            script.seek(0)
            return subprocess.Popen(
                self.args("shell") + ["--no-http", "--log-level=warn"],
                stdin=script,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=offline_env(),
            )


def _result(stdout, stderr, returncode):
    for line in reversed(stdout.splitlines()):
        if line.startswith("RESULT:"):
            return json.loads(line[len("RESULT:") :])
    raise RuntimeError(f"Odoo shell failed (exit {returncode}):\n{stdout[-3000:]}\n{stderr[-3000:]}")


def wait_result(process):
    stdout, stderr = process.communicate()
    return _result(stdout, stderr, process.returncode)


class DoubleProcess:
    """The Magento double in its own process, so that it outlives a killed Odoo."""

    def __init__(self, latency=0.0, seed=False, port=0):
        self.credentials_file = Path(tempfile.mkstemp(prefix="mie-double-", suffix=".json")[1])
        args = [
            sys.executable,
            "-m",
            "magento_double",
            "--port",
            str(port),
            "--latency",
            str(latency),
            "--credentials-file",
            str(self.credentials_file),
        ]
        if seed:
            args.append("--seed")
        self.process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        first = self.process.stdout.readline()  # "Magento double listening on URL ..." once ready
        if "listening on" not in first:
            raise RuntimeError(f"the Magento double did not start: {first!r}")
        self.info = json.loads(self.credentials_file.read_text())
        self.url = self.info["url"]

    @property
    def credentials(self):
        return {k: self.info[k] for k in ("consumer_key", "consumer_secret", "access_token", "access_token_secret")}

    def control(self, path, body=None, timeout=120):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}/__double__/{path}", data=data, method="POST" if data else "GET")
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())

    def add_orders(self, specs):
        orders = []
        for start in range(0, len(specs), 500):
            orders += self.control("orders", {"orders": specs[start : start + 500]})["orders"]
        return orders

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.credentials_file.unlink(missing_ok=True)


def timed(label, function, *args, **kwargs):
    start = time.monotonic()
    result = function(*args, **kwargs)
    print(f"  {label}: {time.monotonic() - start:.1f} s", flush=True)
    return result
