"""Run the Magento double on its own: ``python -m magento_double --port 8080``."""

import argparse
import json
import signal
import sys

from .seed import seed_demo_orders
from .server import MagentoDouble


def main(argv=None):
    parser = argparse.ArgumentParser(description="A Magento 2 REST double for tests and demos.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback by default)")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--seed", action="store_true", help="create demo orders")
    parser.add_argument("--bearer", action="store_true", help="accept the integration token as a bearer token")
    parser.add_argument("--credentials-file", help="also write the integration credentials to this JSON file")
    parser.add_argument(
        "--magento-version", default="2.4.6", help="2.4.7 or later verifies signatures as those versions do"
    )
    args = parser.parse_args(argv)

    double = MagentoDouble(
        args.host,
        args.port,
        latency=args.latency,
        integration_as_bearer=args.bearer,
        magento_version=args.magento_version,
    )
    if args.seed:
        seed_demo_orders(double.store)
    double.start()
    info = {"url": double.url, "store_code": "default", **double.credentials}
    if args.credentials_file:
        with open(args.credentials_file, "w", encoding="utf-8") as handle:
            json.dump(info, handle, indent=2)
    sys.stdout.write(f"Magento double listening on {double.url} ({len(double.store.orders)} orders)\n")
    sys.stdout.write(json.dumps(info, indent=2) + "\n")
    sys.stdout.flush()

    def stop(*_args):
        double.stop()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    double._thread.join()


if __name__ == "__main__":
    main()
