# Shared by tools/test.sh, tools/soak.sh, tools/bench.sh and tools/demo.sh:
# where Odoo is, and the project's Python environment. Source it; it sets
#   ROOT ADDON ADDON_DIR CACHE ODOO WORK VENV PYTHON HAVE_ODOO
# and defines ensure_venv, ensure_odoo, odoo_missing_notice.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ADDON=magento_invoice_export
ADDON_DIR=$ROOT/$ADDON
# The Odoo tests import the Magento double from the repository's top.
export PYTHONPATH=$ROOT${PYTHONPATH:+:$PYTHONPATH}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}
ODOO=${ODOO_PATH:-$CACHE/odoo-18.0}
WORK=$CACHE/$ADDON
VENV=$WORK/venv
PYTHON=$(command -v python3.11 || command -v python3)
HAVE_ODOO=0
if [ -f "$ODOO/odoo-bin" ] && grep -q "version_info = (18, 0" "$ODOO/odoo/release.py" 2>/dev/null; then
    HAVE_ODOO=1
fi

# Create (or reuse) the venv: our requirements, plus Odoo's when Odoo is here.
# Several commands may start at once (tests beside the soak run): the check and
# the build happen under a lock, from a requirements file of this call's own.
ensure_venv() {
    mkdir -p "$WORK"
    local reqs stamp rc
    reqs=$(mktemp "$WORK/requirements.XXXXXX")
    cp "$ROOT/tools/requirements-dev.txt" "$reqs"
    if [ "$HAVE_ODOO" = 1 ]; then
        "$PYTHON" "$ROOT/tools/odoo_requirements.py" "$ODOO/requirements.txt" >> "$reqs" || { rm -f "$reqs"; return 1; }
        # OCA addons the tests use, beside the Odoo tree (their own deps are Odoo's).
        sed 's/^/#no-deps /' "$ROOT/tools/requirements-oca.txt" >> "$reqs"
    fi
    stamp=$(sha256sum < "$reqs" | cut -c1-16)
    (
        flock 9
        if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.stamp" 2>/dev/null)" != "$stamp" ]; then
            rm -rf "$VENV"
            "$PYTHON" -m venv "$VENV" || exit 1
            grep -v "^#no-deps " "$reqs" > "$reqs.deps"
            "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$reqs.deps" 2>&1 \
                | grep -v "^WARNING: Location" || true
            if grep -q "^#no-deps " "$reqs"; then
                sed -n 's/^#no-deps //p' "$reqs" > "$reqs.nodeps"
                "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$reqs.nodeps" 2>&1 \
                    | grep -v "^WARNING: Location" || true
            fi
            rm -f "$reqs.deps" "$reqs.nodeps"
            "$VENV/bin/python" -c "import requests_oauthlib, pytest" || { echo "pip install failed" >&2; exit 1; }
            echo "$stamp" > "$VENV/.stamp"
        fi
    ) 9> "$WORK/venv.lock"
    rc=$?
    rm -f "$reqs"
    [ $rc = 0 ] || return $rc
    echo "venv: $VENV ($("$VENV/bin/python" --version))"
}

# Odoo 18.0 community, fetched into the cache when no tree is here (tools/fetch_odoo.py
# checks the archive before unpacking anything). The default is Odoo 18.0 of
# 2024-11-27, as Git commit 504b0670 of Disassembling-Odoo/core holds it (that
# commit only: the repository's later commits are someone's rewrite), pinned by
# the SHA-256 of its files, which GitHub's generated archive keeps whatever its
# compression. Override both to use another archive, e.g. a mirror of your own
# (ODOO_ARCHIVE_SHA256 may then be the plain sha256sum of the file).
ODOO_ARCHIVE_URL=${ODOO_ARCHIVE_URL:-https://github.com/Disassembling-Odoo/core/archive/504b0670bafd791af4b63a1356724898a6511336.tar.gz}
ODOO_ARCHIVE_SHA256=${ODOO_ARCHIVE_SHA256:-files:8976c3fbb0bda223a9fb100b591a51953f1ce48913b7f17e5fdfadd7dd1c180c}

ensure_odoo() {
    [ "$HAVE_ODOO" = 1 ] && return 0
    # A tree named by ODOO_PATH is the user's: never download over it.
    [ -n "${ODOO_PATH:-}" ] && return 1
    echo "No Odoo 18.0 tree in $CACHE/odoo-18.0: fetching $ODOO_ARCHIVE_URL"
    "$PYTHON" "$ROOT/tools/fetch_odoo.py" "$ODOO_ARCHIVE_URL" "$ODOO_ARCHIVE_SHA256" "$CACHE/odoo-18.0" || return 1
    if [ -f "$ODOO/odoo-bin" ] && grep -q "version_info = (18, 0" "$ODOO/odoo/release.py" 2>/dev/null; then
        HAVE_ODOO=1
    fi
}

odoo_missing_notice() {
    printf '\n'
    printf '!%.0s' $(seq 1 78); printf '\n'
    printf '!! %s\n' "$@" \
        "No Odoo 18.0 source tree was found in ODOO_PATH (${ODOO_PATH:-unset}) or in $CACHE/odoo-18.0," \
        "and none could be fetched from $ODOO_ARCHIVE_URL (no network, or the archive was refused: see above)." \
        "Provide one: unpack Odoo 18.0 community there (odoo-bin at its top), set ODOO_PATH, or set" \
        "ODOO_ARCHIVE_URL and ODOO_ARCHIVE_SHA256 to an archive you trust."
    printf '!%.0s' $(seq 1 78); printf '\n\n'
}
