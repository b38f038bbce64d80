#!/usr/bin/env bash
# The export against the caller's transaction, with real commits: tools/transactions.sh
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_odoo || true
if [ "$HAVE_ODOO" != 1 ]; then odoo_missing_notice "The transaction check needs Odoo."; exit 2; fi
ensure_venv >/dev/null || exit 1
cd "$ROOT/tools" && exec pg_virtualenv -t "$VENV/bin/python" transactions.py "$ODOO" "$@"
