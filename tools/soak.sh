#!/usr/bin/env bash
# The soak run of the reliability issue: tools/soak.sh [--invoices 1000] [--fault-rate 0.2]
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_odoo || true
if [ "$HAVE_ODOO" != 1 ]; then odoo_missing_notice "The soak run needs Odoo."; exit 2; fi
ensure_venv >/dev/null || exit 1
cd "$ROOT/tools" && exec pg_virtualenv -t "$VENV/bin/python" soak.py "$ODOO" "$@"
