"""Benchmark of the bulk export: throughput with requests in flight against the
sequential baseline, SQL queries and Odoo-side time per invoice, peak memory.

Run through tools/bench.sh (which provides the environment and PostgreSQL).
"""

import argparse
import json
import platform
import sys
import tempfile

from harness import DoubleProcess, Odoo, ensure_role, timed

EXPORT = """
import json, resource, time
def rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
instance = env["magento.instance"].search([("name", "=", {name!r})])
before_rss = rss_mb()
cpu0 = time.process_time()
queries0 = env.cr.sql_log_count
start = time.monotonic()
log = env["magento.invoice.exporter"]._export_invoices(instance, documents=("invoice",))
elapsed = time.monotonic() - start
print("RESULT:" + json.dumps({{
    "exported": log.exported_count, "failed": log.failed_count, "elapsed": elapsed,
    "queries": env.cr.sql_log_count - queries0, "cpu": time.process_time() - cpu0,
    "rss_before": before_rss, "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}}))
"""

MAKE = """
import scenario
instance = scenario.setup_instance(env, {url!r}, {credentials!r}, concurrency={concurrency}, name={name!r})
print("RESULT:" + str(scenario.make_invoices(env, instance, {orders!r})))
"""


def specs(count):
    return [
        {"items": [{"sku": "24-MB01", "name": "Joust Duffle Bag", "qty": 1, "price": 34}], "payment_method": "checkmo"}
        for _ in range(count)
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("odoo_path")
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.1, help="Magento's answer time, seconds")
    parser.add_argument("--in-flight", type=int, default=8)
    parser.add_argument("--baseline-invoices", type=int, default=200, help="invoices timed one at a time")
    parser.add_argument("--large", type=int, default=10000, help="invoices of the memory run")
    args = parser.parse_args()

    ensure_role()
    odoo = Odoo("bench", args.odoo_path)
    double = DoubleProcess()
    try:
        print(
            f"Benchmark on {platform.node()}: {platform.processor() or platform.machine()}, "
            f"Python {platform.python_version()}",
            flush=True,
        )
        timed("install", odoo.install)
        pools = [
            ("parallel", args.invoices, args.in_flight),
            ("sequential", args.baseline_invoices, 1),
            ("zero-latency", args.invoices, args.in_flight),
            ("large", args.large, args.in_flight),
        ]
        for name, count, concurrency in pools:
            orders = double.add_orders(specs(count))
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
                json.dump(orders, handle)
            made = timed(
                f"{count} invoices for the {name} run",
                odoo.shell,
                MAKE.format(
                    url=double.url,
                    credentials=double.credentials,
                    concurrency=concurrency,
                    name=name,
                    orders=handle.name,
                ),
            )
            assert made == count, (made, count)

        results = {}
        for name, _count, _concurrency in pools:
            latency = args.latency if name in ("parallel", "sequential") else 0.0
            double.control("latency", {"seconds": latency})
            results[name] = timed(f"export {name}", odoo.shell, EXPORT.format(name=name))
            assert results[name]["failed"] == 0, results[name]

        parallel, sequential, zero, large = (results[name] for name, *_ in pools)
        rate = parallel["exported"] / parallel["elapsed"]
        base = sequential["exported"] / sequential["elapsed"]
        state = double.control("state")
        print()
        print(f"Magento latency {args.latency * 1000:.0f} ms per request (each invoice: POST, then GET for its number)")
        print(f"throughput, {args.in_flight} in flight:   {rate:7.1f} invoices/s  ({parallel['exported']} invoices)")
        print(f"sequential baseline, 1 in flight: {base:7.1f} invoices/s  ({sequential['exported']} invoices)")
        print(f"ratio:                            {rate / base:7.1f} x")
        print(f"max requests in flight seen by Magento: {state['max_in_flight']}")
        for name, result in (("parallel", parallel), ("zero-latency", zero), ("large", large)):
            print(f"SQL queries per invoice ({name}): {result['queries'] / result['exported']:.1f}")
        print(
            f"Odoo-side time per invoice, zero latency: {zero['elapsed'] * 1000 / zero['exported']:.1f} ms wall, "
            f"{zero['cpu'] * 1000 / zero['exported']:.1f} ms CPU"
        )
        print(
            f"peak memory, {zero['exported']} invoices: {zero['peak_rss']:.0f} MB "
            f"(process at start: {zero['rss_before']:.0f} MB)"
        )
        print(
            f"peak memory, {large['exported']} invoices: {large['peak_rss']:.0f} MB "
            f"(process at start: {large['rss_before']:.0f} MB)"
        )
        print(f"memory ratio {large['exported']} / {zero['exported']}: {large['peak_rss'] / zero['peak_rss']:.2f}")
        return 0
    finally:
        double.stop()
        odoo.cleanup()


if __name__ == "__main__":
    sys.exit(main())
