"""``python -m carriersim``: serve the simulated carriers until stopped."""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from carriersim.carriers import Carriers, Settings
from carriersim.pushes import Pusher
from carriersim.server import CarrierServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m carriersim", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001, help="0 picks a free port")
    parser.add_argument("--carriers", default="MAEU,CMDU", help="SCACs, comma-separated")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before a decision")
    parser.add_argument("--rejection-rate", type=float, default=0.0)
    parser.add_argument("--failure-rate", type=float, default=0.0)
    parser.add_argument("--seed", default=None)
    parser.add_argument(
        "--event-interval",
        type=float,
        default=0.0,
        help="seconds between tracking events (0: only when advanced through /_sim/advance)",
    )
    parser.add_argument("--token-ttl", type=int, default=3600)
    parser.add_argument(
        "--booking-callback",
        default="",
        help="URL booking notifications go to; {scac} is replaced by the carrier's SCAC",
    )
    options = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stdout, level=logging.INFO, format="%(asctime)s %(message)s", force=True
    )
    settings = Settings(
        delay=options.delay,
        rejection_rate=options.rejection_rate,
        failure_rate=options.failure_rate,
        event_interval=options.event_interval,
        token_ttl=options.token_ttl,
        seed=options.seed,
        booking_callback=options.booking_callback,
    )
    scacs = [scac.strip().upper() for scac in options.carriers.split(",") if scac.strip()]
    carriers = Carriers(scacs=scacs, settings=settings, pusher=Pusher())
    server = CarrierServer((options.host, options.port), carriers)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"carrier simulator listening on {carriers.base_url}", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
