#!/usr/bin/env bash
# The addon as integrators deploy it: built into a wheel with the OCA's whool,
# installed by pip into a clean virtual environment beside the Odoo tree, then
# found and installed by Odoo from there. Prints "wheel: N passed, M failed".
#
#   tools/wheel.sh            (tools/test.sh runs it)
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_odoo || true
if [ "$HAVE_ODOO" != 1 ]; then odoo_missing_notice "The wheel check needs Odoo."; exit 2; fi
# Not the repository: the installed addon alone must be what Odoo finds.
unset PYTHONPATH

TMP=$(mktemp -d)
# pip install -e writes odoo.egg-info into the Odoo tree: leave the tree as found.
EGG_INFO=$ODOO/odoo.egg-info
[ -e "$EGG_INFO" ] && EGG_INFO=
trap 'rm -rf "$TMP" ${EGG_INFO:+"$EGG_INFO"}' EXIT
PASSED=0
FAILED=0
check() {  # check "what" command...
    local what=$1; shift
    if "$@"; then echo "  ok    $what"; PASSED=$((PASSED + 1)); else echo "  FAIL  $what"; FAILED=$((FAILED + 1)); fi
}
pip_quiet() { "$@" 2>&1 | grep -v "^WARNING: Location" ; return "${PIPESTATUS[0]}"; }

# From a copy of the tracked files, as a clone would have them (whool ships what
# git tracks; the copy has no git, so it ships all of it: the same files).
mkdir "$TMP/src"
(cd "$ROOT" && git ls-files -co --exclude-standard "$ADDON" 2>/dev/null || find "$ADDON" -type f) \
    | grep -v "__pycache__\|\.pyc$" | (cd "$ROOT" && tar -cf - -T -) | tar -xf - -C "$TMP/src"

"$PYTHON" -m venv "$TMP/venv" || exit 1
PIP=("$TMP/venv/bin/pip" --disable-pip-version-check --quiet)
echo "building the wheel (pip wheel, whool from PyPI)"
check "pip wheel builds the addon with whool" \
    pip_quiet "${PIP[@]}" wheel --no-deps -w "$TMP/dist" "$TMP/src/$ADDON"
WHEEL=$(ls "$TMP"/dist/odoo_addon_${ADDON}-*.whl 2>/dev/null | head -1)
[ -n "$WHEEL" ] || { echo "wheel: 1 passed, 1 failed"; exit 1; }
echo "  $(basename "$WHEEL")"
CONTENT=$("$TMP/venv/bin/python" -m zipfile -l "$WHEEL" | awk '{print $1}')
METADATA=$(unzip -p "$WHEEL" '*.dist-info/METADATA')
ships() { echo "$CONTENT" | grep -q "^odoo/addons/$ADDON/$1"; }
check "it is odoo-addon-$ADDON, version of the manifest" \
    grep -q "^Version: $(grep -oE '"version": "[^"]+"' "$ADDON_DIR/__manifest__.py" | cut -d'"' -f4)$" <<< "$METADATA"
check "it requires requests-oauthlib and Odoo 18.0" \
    bash -c 'grep -qi "^Requires-Dist: requests.oauthlib" <<< "$1" && grep -q "^Requires-Dist: odoo==18.0" <<< "$1"' _ "$METADATA"
check "it ships the addon under odoo/addons/ (manifest, client, icon, translations)" \
    bash -c "$(declare -f ships); CONTENT=\$1 ADDON=$ADDON; ships __manifest__.py && ships magento_client/client.py \
        && ships static/description/icon.png && ships i18n/$ADDON.pot" _ "$CONTENT"
check "it ships no development tool, double or framework-free test" \
    bash -c '! grep -qE "magento_double|tests_standalone|/tools/|pyproject.toml" <<< "$1"' _ "$CONTENT"

echo "a clean virtual environment: Odoo's requirements, the Odoo tree, the wheel"
"$PYTHON" "$ROOT/tools/odoo_requirements.py" "$ODOO/requirements.txt" > "$TMP/odoo-requirements.txt"
pip_quiet "${PIP[@]}" install -r "$TMP/odoo-requirements.txt" || { echo "wheel: could not install Odoo's requirements"; exit 1; }
check "requests-oauthlib is not there before the wheel" bash -c '! "$1" -c "import requests_oauthlib" 2>/dev/null' _ "$TMP/venv/bin/python"
# Odoo from its source tree, as integrators install it (pip install -e); compat
# mode puts the tree on sys.path, where odoo/addons of site-packages joins it.
pip_quiet "${PIP[@]}" install --no-deps -e "$ODOO" --config-settings editable_mode=compat || exit 1
check "pip install of the wheel brings requests-oauthlib" \
    bash -c 'pip_quiet() { "$@" 2>&1 | grep -v "^WARNING: Location"; return "${PIPESTATUS[0]}"; }
        pip_quiet "$1" --disable-pip-version-check --quiet install "$2" && "$3" -c "import requests_oauthlib"' \
    _ "$TMP/venv/bin/pip" "$WHEEL" "$TMP/venv/bin/python"
SITE=$("$TMP/venv/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
check "it lands in site-packages/odoo/addons/$ADDON" test -f "$SITE/odoo/addons/$ADDON/__manifest__.py"

echo "Odoo finds the installed addon and installs it (addons path: Odoo's own only)"
export VENV_PY=$TMP/venv/bin/python ODOO ADDON SITE TMP
pg_virtualenv -t bash -c '
    psql -q -c "CREATE ROLE odoo LOGIN SUPERUSER PASSWORD '"'"'odoo'"'"'" || exit 1
    "$VENV_PY" "$ODOO/odoo-bin" --db_host="$PGHOST" --db_port="$PGPORT" --db_user=odoo --db_password=odoo \
        -d wheel --addons-path="$ODOO/addons" --data-dir="$TMP/data" -i "$ADDON" --without-demo=all \
        --stop-after-init --no-http --log-level=warn > "$TMP/odoo.log" 2>&1 || { tail -20 "$TMP/odoo.log"; exit 1; }
    psql -At -d wheel -c "SELECT state FROM ir_module_module WHERE name = '"'"'$ADDON'"'"'" > "$TMP/state"
    "$VENV_PY" -c "
import odoo
from odoo.modules.module import get_module_path
print(get_module_path(\"$ADDON\"))" > "$TMP/path"
' > "$TMP/pg.log" 2>&1 || tail -20 "$TMP/pg.log"
check "Odoo installed it (module state: $(cat "$TMP/state" 2>/dev/null))" grep -qx installed "$TMP/state"
check "from site-packages, not from the repository ($(cat "$TMP/path" 2>/dev/null))" \
    grep -qx "$SITE/odoo/addons/$ADDON" "$TMP/path"
check "without an error in Odoo's log" bash -c '! grep -E " (ERROR|CRITICAL) " "$1"' _ "$TMP/odoo.log"

echo "wheel: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
