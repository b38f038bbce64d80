"""Print the pip requirements for running Odoo 18.0 on this Python.

Odoo's requirements.txt pins one version per Python release. The pins marked for
Python >= 3.12 ship wheels for 3.11 too, so we take those (no compiler needed),
swap psycopg2 for psycopg2-binary, and drop python-ldap (needs libldap headers
and only serves auth_ldap, which the tests never install).

Usage: python tools/odoo_requirements.py ODOO_PATH/requirements.txt
"""

import sys

try:
    from packaging.markers import Marker
except ImportError:  # a bare venv has packaging only inside pip
    from pip._vendor.packaging.markers import Marker

ENVIRONMENT = {
    "python_version": "3.12",
    "python_full_version": "3.12.0",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
}
SKIPPED = {"python-ldap"}
RENAMED = {"psycopg2": "psycopg2-binary"}


def requirements(lines):
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        spec, _, marker = line.partition(";")
        spec = spec.strip()
        if marker.strip() and not Marker(marker.strip()).evaluate(ENVIRONMENT):
            continue
        name = spec.split("=", 1)[0].split("<", 1)[0].split(">", 1)[0].strip()
        if name.lower() in SKIPPED:
            continue
        if name.lower() in RENAMED:
            spec = RENAMED[name.lower()] + spec[len(name) :]
        yield spec


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        for requirement in requirements(handle):
            print(requirement)
