#!/usr/bin/env bash
# The benchmark of the bulk export: tools/bench.sh [--invoices 1000] [--latency 0.1] [--large 10000]
# On a real Magento, the addon against a bare client (tools/real_bench.py,
# REAL_MAGENTO_* as for tools/contract.sh): tools/bench.sh --real [--invoices 200] [--in-flight 8]
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_odoo || true
if [ "$HAVE_ODOO" != 1 ]; then odoo_missing_notice "The benchmark needs Odoo."; exit 2; fi
ensure_venv >/dev/null || exit 1
script=bench.py
for arg in "$@"; do [ "$arg" = --real ] && script=real_bench.py; done
cd "$ROOT/tools" && exec pg_virtualenv -t "$VENV/bin/python" "$script" "$ODOO" "$@"
