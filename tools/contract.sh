#!/usr/bin/env bash
# The contract suite (the double's contract tests and the client's) against a
# real Magento, with the same assertions as against the double:
#
#   REAL_MAGENTO_URL=http://127.0.0.1:8280 \
#   REAL_MAGENTO_KEYS=/path/keys.json \        # consumer_key, consumer_secret, access_token, access_token_secret
#   REAL_MAGENTO_ADMIN='admin:password' \
#   [REAL_MAGENTO_STORE=default] [REAL_MAGENTO_ROOT=/path/to/magento] \
#   tools/contract.sh [pytest arguments]
#
# REAL_MAGENTO_ROOT: a Magento on this machine whose indexers run on schedule
# without cron; it is reindexed once the test catalogue is first made.
# Exits non-zero when a test fails or nothing ran; prints pytest's summary line.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/magento_invoice_export/venv}
for name in REAL_MAGENTO_URL REAL_MAGENTO_KEYS REAL_MAGENTO_ADMIN; do
    if [ -z "${!name:-}" ]; then
        echo "contract.sh: $name is not set (see the head of this script)" >&2
        exit 2
    fi
done
cd "$ROOT" || exit 2
"$VENV/bin/python" -m pytest -q -rs tests_standalone/test_double.py tests_standalone/test_double_creditmemo.py \
    tests_standalone/test_client_connection.py tests_standalone/test_export_link.py \
    tests_standalone/test_client.py tests_standalone/test_money.py "$@"
