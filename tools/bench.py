"""Benchmark of the bulk export: throughput with 8 and 16 requests in flight and
its share of the physical limit (requests in flight / Magento's latency),
against the sequential baseline; Magento requests, SQL queries and Odoo-side
time per invoice; peak memory at 1,000 and 10,000 invoices; and the throughput
of the export as OCA queue_job jobs on two Odoo workers against one.

Run through tools/bench.sh (which provides the environment and PostgreSQL).
"""

import argparse
import json
import platform
import sys
import tempfile
import time

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

QUEUE = """
import json
instance = env["magento.instance"].search([("name", "=", {name!r})])
logs = env["magento.invoice.exporter"]._export_from_screen(instance, documents=("invoice",))
env.cr.commit()
print("RESULT:" + json.dumps(len(logs)))
"""

JOBS = """
import json
instance = env["magento.instance"].search([("name", "=", {name!r})])
logs = env["magento.process.log"].sudo().search([("instance_id", "=", instance.id)])
jobs = env["queue.job"].sudo().search([("channel", "=", "root.magento")])
left = jobs.filtered(lambda job: job.state in ("pending", "enqueued", "started"))
done = logs.filtered(lambda log: log.end_date)
print("RESULT:" + json.dumps({{
    "left": len(left) + len(logs.filtered(lambda log: log.state in ("queued", "running"))),
    "exported": sum(logs.mapped("exported_count")), "failed": sum(logs.mapped("failed_count")),
    "elapsed": (max(done.mapped("end_date")) - min(logs.mapped("create_date"))).total_seconds() if done else 0,
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
    parser.add_argument("--job-invoices", type=int, default=1000, help="invoices of each queue_job run")
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
        timed("install", odoo.install, "magento_invoice_export,queue_job")
        pools = [
            ("parallel", args.invoices, args.in_flight),
            ("parallel16", args.invoices, 2 * args.in_flight),
            ("sequential", args.baseline_invoices, 1),
            ("zero-latency", args.invoices, args.in_flight),
            ("large", args.large, args.in_flight),
            ("jobs1", args.job_invoices, args.in_flight),
            ("jobs2", args.job_invoices, args.in_flight),
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
        for name, _count, _concurrency in pools[:-2]:
            latency = args.latency if name in ("parallel", "parallel16", "sequential") else 0.0
            double.control("latency", {"seconds": latency})
            before = double.control("state")["requests"]
            results[name] = timed(f"export {name}", odoo.shell, EXPORT.format(name=name))
            results[name]["requests"] = double.control("state")["requests"] - before
            assert results[name]["failed"] == 0, results[name]

        parallel, parallel16, sequential, zero, large = (results[name] for name, *_ in pools[:-2])
        double.control("latency", {"seconds": args.latency})
        for workers in (1, 2):
            name = f"jobs{workers}"
            server = odoo.serve_jobs(workers=workers, channels=f"root:4,root.magento:{workers}")
            try:
                timed(f"queue {name}", odoo.shell, QUEUE.format(name=name))
                while (status := odoo.shell(JOBS.format(name=name)))["left"]:
                    time.sleep(1)
            finally:
                server.terminate()
                server.wait(30)
            assert status["failed"] == 0, status
            results[name] = status
        base = sequential["exported"] / sequential["elapsed"]
        state = double.control("state")
        print()
        print(f"Magento latency {args.latency * 1000:.0f} ms per request")
        for result, in_flight in ((parallel, args.in_flight), (parallel16, 2 * args.in_flight)):
            rate = result["exported"] / result["elapsed"]
            limit = in_flight / args.latency
            print(
                f"throughput, {in_flight:2d} in flight: {rate:7.1f} invoices/s = {rate / limit:4.0%} of the limit "
                f"{limit:.0f}/s, {rate / base:4.1f} x the sequential  ({result['exported']} invoices)"
            )
        print(f"sequential baseline, 1 in flight: {base:7.1f} invoices/s  ({sequential['exported']} invoices)")
        print(
            "Magento requests per invoice: "
            + ", ".join(f"{r['requests'] / r['exported']:.3f} ({n})" for n, r in results.items() if "requests" in r)
        )
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
        one, two = (results[f"jobs{n}"]["exported"] / results[f"jobs{n}"]["elapsed"] for n in (1, 2))
        print(
            f"queue_job, {args.job_invoices} invoices queued from the screen, {args.in_flight} in flight per job: "
            f"1 worker {one:.1f} invoices/s, 2 workers {two:.1f} invoices/s = {two / one:.2f} x"
        )
        return 0
    finally:
        double.stop()
        odoo.cleanup()


if __name__ == "__main__":
    sys.exit(main())
