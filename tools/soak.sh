#!/usr/bin/env bash
# The soak run of the reliability issue: tools/soak.sh [--invoices 1000] [--fault-rate 0.2]
# On a real Magento (tools/real_soak.py, REAL_MAGENTO_* as for tools/contract.sh):
#   tools/soak.sh --real [--invoices 200] [--credit-notes 50]
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_odoo || true
if [ "$HAVE_ODOO" != 1 ]; then odoo_missing_notice "The soak run needs Odoo."; exit 2; fi
ensure_venv >/dev/null || exit 1
script=soak.py
for arg in "$@"; do [ "$arg" = --real ] && script=real_soak.py; done
cd "$ROOT/tools" && exec pg_virtualenv -t "$VENV/bin/python" "$script" "$ODOO" "$@"
