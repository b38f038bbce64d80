#!/usr/bin/env bash
# Regenerate the translation template i18n/magento_invoice_export.pot from a
# throwaway database with the addon installed.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_odoo || true
if [ "$HAVE_ODOO" != 1 ]; then odoo_missing_notice "Exporting the .pot needs Odoo."; exit 2; fi
ensure_venv >/dev/null || exit 1
ADDONS_DIR=$(mktemp -d); ln -s "$ADDON_DIR" "$ADDONS_DIR/$ADDON"
export ADDONS_DIR ODOO VENV ADDON ADDON_DIR
pg_virtualenv -t bash -c '
    psql -q -c "CREATE ROLE odoo LOGIN SUPERUSER PASSWORD '"'"'odoo'"'"'" || exit 1
    "$VENV/bin/python" "$ODOO/odoo-bin" --db_host="$PGHOST" --db_port="$PGPORT" --db_user=odoo --db_password=odoo \
        -d pot --addons-path="$ODOO/addons,$ADDONS_DIR" -i "$ADDON" --without-demo=all --stop-after-init \
        --log-level=warn --no-http
    "$VENV/bin/python" "$ODOO/odoo-bin" --db_host="$PGHOST" --db_port="$PGPORT" --db_user=odoo --db_password=odoo \
        -d pot --addons-path="$ODOO/addons,$ADDONS_DIR" --i18n-export="$ADDON_DIR/i18n/$ADDON.pot" \
        --modules="$ADDON" --stop-after-init --log-level=warn --no-http
'
rc=$?
rm -rf "$ADDONS_DIR"
exit $rc
