"""Where a benchmark's CPU went, from /proc (Linux): how busy the machine's
cores were, and how much CPU the PHP server serving Magento spent. On a
machine whose few cores Magento shares with Odoo and PostgreSQL, a run's speed
depends on them as much as on its own code. Standard library only: an Odoo
shell imports it too.
"""

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def machine_jiffies():
    """(busy, total) jiffies of all cores since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle and iowait
    return sum(values) - idle, sum(values)


def _stat(pid):
    """(parent pid, CPU seconds) of a process, or None when it is gone."""
    try:
        text = Path("/proc", str(pid), "stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS


def php_cpu(magento_root):
    """CPU seconds of the PHP built-in server serving Magento and of its workers
    (its children), or None when its pid file is not readable."""
    try:
        server = int(Path(magento_root, "var", "phpserver.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(entry.name)
            if stat and (int(entry.name) == server or stat[0] == server):
                total += stat[1]
    return total


class Sample:
    """What the machine and Magento's PHP did between its start and ``stop()``."""

    def __init__(self, magento_root):
        self.root = magento_root
        self.jiffies = machine_jiffies()
        self.php = php_cpu(magento_root)

    def stop(self):
        busy, total = machine_jiffies()
        php = php_cpu(self.root)
        return {
            "busy": (busy - self.jiffies[0]) / max(1, total - self.jiffies[1]),
            "php_cpu": None if php is None or self.php is None else php - self.php,
        }
