#!/usr/bin/env bash
# The benchmark of the bulk export: tools/bench.sh [--invoices 1000] [--latency 0.1] [--large 10000]
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_odoo || true
if [ "$HAVE_ODOO" != 1 ]; then odoo_missing_notice "The benchmark needs Odoo."; exit 2; fi
ensure_venv >/dev/null || exit 1
cd "$ROOT/tools" && exec pg_virtualenv -t "$VENV/bin/python" bench.py "$ODOO" "$@"
