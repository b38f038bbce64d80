#!/usr/bin/env bash
# The end-to-end run against a real Magento (it CREATES ORDERS there):
#   tools/e2e.sh [--url http://127.0.0.1:8280] [--keys FILE] [--admin user:password] [--i-understand-this-creates-orders]
# The money matrix (tools/money_matrix.py): --matrix after the flows, --matrix-only,
# or --double (the matrix alone, against a Magento double in the run's process).
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_odoo || true
if [ "$HAVE_ODOO" != 1 ]; then odoo_missing_notice "The end-to-end run needs Odoo."; exit 2; fi
ensure_venv >/dev/null || exit 1
cd "$ROOT/tools" && exec pg_virtualenv -t "$VENV/bin/python" e2e.py "$ODOO" "$@"
