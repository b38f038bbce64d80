#!/usr/bin/env bash
# Set everything up and run every test: lint, the framework-free suite, and the
# Odoo suite on real Odoo 18.0 with a throwaway PostgreSQL.
#
#   tools/test.sh            everything
#   tools/test.sh --quick    lint + framework-free suite only
#
# Odoo is looked up in $ODOO_PATH, else in ${XDG_CACHE_HOME:-~/.cache}/odoo-18.0.
# Without it, the Odoo suite is skipped with a loud notice and the rest still runs.
# Extra arguments after "--" go to the Odoo test run's --test-tags (default: the
# whole addon), e.g. tools/test.sh -- /magento_invoice_export:TestExport
# Logs go to ~/.cache/magento_invoice_export (MIE_LOGS=<dir> for another place).
set -uo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
QUICK=0
TEST_TAGS="/$ADDON"
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --) shift; TEST_TAGS="$*"; break ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

say() { printf '\n=== %s\n' "$*"; }

say "Python environment"
ensure_venv || exit 1
[ $QUICK = 1 ] || ensure_odoo || true

# Where the logs go: MIE_LOGS lets two runs at once keep theirs apart.
LOGS=${MIE_LOGS:-$WORK}
mkdir -p "$LOGS"
FAILED=0
PASSED_TOTAL=0
FAILED_TOTAL=0

# odoo_suite MODULES LOG POT: install MODULES with the addon's tests in a
# throwaway database and run them (then export the translation template to POT,
# when given); prints the failures, the skips and "odoo: N passed, M failed, K skipped".
odoo_suite() {
    local modules=$1 log=$2 pot=$3 rc summary of oe ot oerr opass oskip
    ADDONS_DIR=$(mktemp -d)
    ln -s "$ADDON_DIR" "$ADDONS_DIR/$ADDON"
    DATA_DIR=$(mktemp -d)
    HTTP_PORT=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    export ODOO ADDONS_DIR DATA_DIR HTTP_PORT TEST_TAGS VENV ADDON
    export SUITE_MODULES=$modules SUITE_POT=$pot
    # pg_virtualenv -t makes a throwaway cluster in a temp dir (several can run
    # at once); Odoo refuses the postgres role, so the run creates its own.
    pg_virtualenv -t bash -c '
        psql -q -c "CREATE ROLE odoo LOGIN SUPERUSER PASSWORD '"'"'odoo'"'"'" || exit 1
        "$VENV/bin/python" "$ODOO/odoo-bin" \
            --db_host="$PGHOST" --db_port="$PGPORT" --db_user=odoo --db_password=odoo \
            -d mie_test --addons-path="$ODOO/addons,$ADDONS_DIR" --data-dir="$DATA_DIR" \
            --http-interface=127.0.0.1 --http-port="$HTTP_PORT" \
            -i "$SUITE_MODULES" --without-demo=all --test-enable --test-tags="$TEST_TAGS" \
            --stop-after-init --log-level=test --max-cron-threads=0 || exit 1
        [ -n "$SUITE_POT" ] || exit 0
        # The translation template, exported from the code just installed.
        "$VENV/bin/python" "$ODOO/odoo-bin" \
            --db_host="$PGHOST" --db_port="$PGPORT" --db_user=odoo --db_password=odoo \
            -d mie_test --addons-path="$ODOO/addons,$ADDONS_DIR" --data-dir="$DATA_DIR" \
            --i18n-export="$SUITE_POT" --modules="$ADDON" --stop-after-init --log-level=warn --no-http
    ' > "$log" 2>&1
    rc=$?
    rm -rf "$ADDONS_DIR" "$DATA_DIR"
    grep -E "(ERROR|CRITICAL|FAIL:|Ran [0-9]+ tests|tests when loading|Starting |: [0-9]+ failed)" "$log" \
        | grep -v "^Creating\|^Dropping" | tail -60
    if grep -q ": skipped " "$log"; then
        printf '\n!! SKIPPED Odoo tests (and why):\n'
        grep -oE "skipped [^ ]+ : .*" "$log" | sed 's/^/!!   /'
    fi
    summary=$(grep -oE '[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests' "$log" | tail -1)
    if [ -n "$summary" ]; then
        of=$(echo "$summary" | awk '{print $1}'); oe=$(echo "$summary" | awk '{print $3}' | tr -d 'error(s)')
        ot=$(echo "$summary" | awk '{print $6}')
        oerr=$((of + ${oe:-0}))
        oskip=$(grep -c ": skipped " "$log")
        # Failed subtests count as errors too: never report fewer than 0 passed.
        opass=$((ot > oerr + oskip ? ot - oerr - oskip : 0))
        echo "odoo: $opass passed, $oerr failed, $oskip skipped"
        PASSED_TOTAL=$((PASSED_TOTAL + opass))
        FAILED_TOTAL=$((FAILED_TOTAL + oerr))
    else
        echo "odoo: no test summary found (see $log)"
        FAILED=1
    fi
    if [ "$rc" != 0 ] || grep -qE " (ERROR|CRITICAL) " "$log"; then
        echo "Odoo suite FAILED (exit $rc); full log: $log"
        FAILED=1
    fi
}

# ----------------------------------------------------------------------- lint
say "ruff"
if ! (cd "$ROOT" && "$VENV/bin/ruff" check . && "$VENV/bin/ruff" format --check --quiet . >/dev/null); then
    echo "ruff: FAILED"; FAILED=1
else
    echo "ruff: clean"
fi
say "pylint-odoo (OCA mandatory checks)"
LINT_DIR=$(mktemp -d)
ln -s "$ADDON_DIR" "$LINT_DIR/$ADDON"
if ! (cd "$LINT_DIR" && "$VENV/bin/pylint" --rcfile="$ROOT/.pylintrc" "$ADDON"); then
    echo "pylint-odoo: FAILED"; FAILED=1
else
    echo "pylint-odoo: clean"
fi
rm -rf "$LINT_DIR"

# ------------------------------------------------------- framework-free suite
say "Framework-free suite (client, double, OAuth) with pytest"
PYTEST_OUT=$LOGS/pytest.log
# On the double, always: the real Magento has its own stage below.
(cd "$ROOT" && env -u REAL_MAGENTO_URL "$VENV/bin/python" -m pytest -q tests_standalone) 2>&1 | tee "$PYTEST_OUT"
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] || FAILED=1
p=$(grep -oE '[0-9]+ passed' "$PYTEST_OUT" | tail -1 | cut -d' ' -f1)
f=$(grep -oE '[0-9]+ (failed|error)' "$PYTEST_OUT" | awk '{s+=$1} END {print s+0}')
PASSED_TOTAL=$((PASSED_TOTAL + ${p:-0}))
FAILED_TOTAL=$((FAILED_TOTAL + ${f:-0}))
[ "${p:-0}" -gt 0 ] || { echo "pytest ran no test"; FAILED=1; }

# ------------------------------------------------- against a real Magento
# Stage 1 of the real-Magento loop: the contract suite, when one is configured
# (REAL_MAGENTO_URL, REAL_MAGENTO_KEYS, REAL_MAGENTO_ADMIN: see tools/contract.sh).
if [ -n "${REAL_MAGENTO_URL:-}" ]; then
    say "Contract suite against the real Magento at $REAL_MAGENTO_URL (tools/contract.sh)"
    CONTRACT_OUT=$LOGS/contract.log
    "$ROOT/tools/contract.sh" > "$CONTRACT_OUT" 2>&1
    rc=$?
    tail -1 "$CONTRACT_OUT"
    [ "$rc" = 0 ] || { echo "contract suite on the real Magento FAILED (see $CONTRACT_OUT)"; FAILED=1; }
    p=$(grep -oE '[0-9]+ passed' "$CONTRACT_OUT" | tail -1 | cut -d' ' -f1)
    f=$(grep -oE '[0-9]+ (failed|error)' "$CONTRACT_OUT" | awk '{s+=$1} END {print s+0}')
    PASSED_TOTAL=$((PASSED_TOTAL + ${p:-0}))
    FAILED_TOTAL=$((FAILED_TOTAL + ${f:-0}))
else
    say "No real Magento configured (REAL_MAGENTO_URL unset): the contract suite and the flows ran against the double only"
fi

# ---------------------------------------------------------------- Odoo suite
if [ $QUICK = 1 ]; then
    say "Odoo suite skipped (--quick)"
elif [ $HAVE_ODOO = 0 ]; then
    odoo_missing_notice "THE ODOO SUITE DID NOT RUN." "Only the framework-free suite and the linters ran."
elif ! command -v pg_virtualenv >/dev/null; then
    printf '\n!! THE ODOO SUITE DID NOT RUN: pg_virtualenv (Debian postgresql-common) is missing.\n'
    printf '!! Install it: apt-get install postgresql postgresql-common\n\n'
    FAILED=1
else
    if ! command -v chromium >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "Installing Debian's chromium for the browser tests"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
            || echo "!! could not install chromium: the browser tests will be skipped"
    fi
    POT_FRESH=$LOGS/fresh.pot
    rm -f "$POT_FRESH"
    say "Odoo suite on $(cd "$ODOO" && pwd) (Odoo 18.0), with OCA queue_job installed"
    odoo_suite "$ADDON,queue_job" "$LOGS/odoo-tests.log" "$POT_FRESH"
    if [ "$TEST_TAGS" = "/$ADDON" ]; then
        # As an integrator checks the addon in their own Odoo: queue_job on the
        # addons path but not installed. Its tests must skip, saying why.
        say "Odoo suite again, the addon installed alone (queue_job on the path, not installed)"
        odoo_suite "$ADDON" "$LOGS/odoo-tests-alone.log" ""
        if ! grep -qE "skipped .*TestBackgroundQueueJob.* : OCA queue_job is not installed" "$LOGS/odoo-tests-alone.log"; then
            echo "Odoo suite without queue_job: its tests did not skip as expected"; FAILED=1
        fi
    fi
    say "Translation template against the code"
    if [ ! -s "$POT_FRESH" ]; then
        echo "not checked: Odoo stopped before exporting it"; FAILED=1
    elif ! "$VENV/bin/python" "$ROOT/tools/pot_check.py" "$ADDON_DIR/i18n/$ADDON.pot" "$POT_FRESH"; then
        echo "The template $ADDON/i18n/$ADDON.pot is out of date: run tools/pot.sh"; FAILED=1
    fi
fi

# ------------------ checks with real Odoo processes: transactions, the wheel
# run_check NAME TITLE: tools/NAME.sh prints "  ok"/"  FAIL" lines and
# "NAME: N passed, M failed"; its counts join the totals.
run_check() {
    local name=$1 log=$LOGS/$1.log rc summary
    say "$2 (tools/$name.sh)"
    "$ROOT/tools/$name.sh" > "$log" 2>&1
    rc=$?
    grep -E "^  (ok|FAIL)|^$name:" "$log"
    summary=$(grep -oE "^$name: [0-9]+ passed, [0-9]+ failed" "$log" | tail -1)
    if [ -n "$summary" ]; then
        PASSED_TOTAL=$((PASSED_TOTAL + $(echo "$summary" | awk '{print $2}')))
        FAILED_TOTAL=$((FAILED_TOTAL + $(echo "$summary" | awk '{print $4}')))
    fi
    if [ "$rc" != 0 ] || [ -z "$summary" ]; then
        echo "$name: FAILED (full log: $log)"; FAILED=1
    fi
}
if [ $QUICK = 0 ] && [ $HAVE_ODOO = 1 ] && command -v pg_virtualenv >/dev/null && [ "$TEST_TAGS" = "/$ADDON" ]; then
    run_check transactions "Transactions with real commits"
    run_check wheel "The addon as a wheel, pip-installed beside Odoo"
fi

# Stage 2 of the real-Magento loop: the addon's flows end to end (it makes
# its own orders there; a host other than this machine's needs the consent
# flag of tools/e2e.sh, which the test command never gives).
if [ -n "${REAL_MAGENTO_URL:-}" ] && [ $QUICK = 0 ] && [ $HAVE_ODOO = 1 ] && [ "$TEST_TAGS" = "/$ADDON" ]; then
    say "End to end on the real Magento at $REAL_MAGENTO_URL (tools/e2e.sh)"
    E2E_OUT=$LOGS/e2e.log
    "$ROOT/tools/e2e.sh" --url "$REAL_MAGENTO_URL" --keys "$REAL_MAGENTO_KEYS" --admin "$REAL_MAGENTO_ADMIN" \
        --store "${REAL_MAGENTO_STORE:-default}" ${REAL_MAGENTO_ROOT:+--magento-root "$REAL_MAGENTO_ROOT"} \
        > "$E2E_OUT" 2>&1
    rc=$?
    summary=$(grep -oE "^e2e: [0-9]+ passed, [0-9]+ failed" "$E2E_OUT" | tail -1)
    echo "${summary:-e2e: no summary (see $E2E_OUT)}"
    if [ -n "$summary" ]; then
        PASSED_TOTAL=$((PASSED_TOTAL + $(echo "$summary" | awk '{print $2}')))
        FAILED_TOTAL=$((FAILED_TOTAL + $(echo "$summary" | awk '{print $4}')))
    fi
    [ "$rc" = 0 ] && [ -n "$summary" ] || { echo "end to end on the real Magento FAILED (see $E2E_OUT)"; FAILED=1; }
fi

say "Summary"
[ $FAILED = 0 ] && echo "all green" || echo "SOMETHING FAILED (see above)"
echo "total: $PASSED_TOTAL passed, $FAILED_TOTAL failed"
exit $FAILED
