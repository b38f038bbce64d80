#!/usr/bin/env bash
# The demo: tools/demo.sh [--port 8069] [--magento-port 8080]
# A throwaway PostgreSQL, the Magento double seeded with orders, and Odoo 18.0
# with this addon and demo data on http://localhost:8069. Ctrl-C stops all.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_odoo || true
if [ "$HAVE_ODOO" != 1 ]; then odoo_missing_notice "The demo needs Odoo."; exit 2; fi
ensure_venv >/dev/null || exit 1
cd "$ROOT/tools" && exec pg_virtualenv -t "$VENV/bin/python" demo.py "$ODOO" "$@"
