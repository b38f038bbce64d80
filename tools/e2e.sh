#!/usr/bin/env bash
# The end-to-end run against a real Magento (it CREATES ORDERS there):
#   tools/e2e.sh [--url http://127.0.0.1:8280] [--keys FILE] [--admin user:password] [--i-understand-this-creates-orders]
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_odoo || true
if [ "$HAVE_ODOO" != 1 ]; then odoo_missing_notice "The end-to-end run needs Odoo."; exit 2; fi
ensure_venv >/dev/null || exit 1
cd "$ROOT/tools" && exec pg_virtualenv -t "$VENV/bin/python" e2e.py "$ODOO" "$@"
