#!/usr/bin/env python3
"""Misattribution check for workload 3 (new connections).

`toaproxy emulate --derive --kind 254` announces, for a connection from source port P, the client
203.0.113.(1 + P % 250):P. The backend logs "$proxy_protocol_addr $proxy_protocol_port $request_uri"
for /conn, so:
- every request wrk made through toaproxy (/conn?peer=toaproxy) must log the client derived from the
  logged port (a fallback to the TCP peer 127.0.0.1 counts as a misattribution);
- `connect` mode makes connections that name their own source port in the URI
  (/conn?peer=verify&sport=P): the logged port must be P and the address derived from P, so a
  connection given another connection's client is caught even when that client is self-consistent.
"""

import argparse
import json
import socket
import sys
import threading
import time
from collections import Counter


def derived_client(port: int) -> str:
    return f"203.0.113.{1 + port % 250}"


def connect(args: argparse.Namespace) -> int:
    lock = threading.Lock()
    sports: list[int] = []
    failures: Counter = Counter()
    remaining = [args.count]
    deadline = time.monotonic() + args.max_seconds

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                if remaining[0] == 0:
                    return
                remaining[0] -= 1
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.settimeout(10)
            try:
                sock.connect(("127.0.0.1", args.port))
                sport = sock.getsockname()[1]
                sock.sendall(
                    f"GET /conn?peer=verify&sport={sport} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode())
                response = b""
                while True:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    response += chunk
                if not response.startswith(b"HTTP/1.1 200"):
                    raise ConnectionError(f"unexpected response {response[:40]!r}")
                with lock:
                    sports.append(sport)
            except (OSError, ConnectionError) as error:
                with lock:
                    failures[type(error).__name__] += 1
            finally:
                sock.close()

    threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with open(args.sports_file, "w", encoding="ascii") as output:
        output.write("\n".join(str(p) for p in sports))
    print(f"verify connections: {len(sports)} ok, {sum(failures.values())} failed {dict(failures)}", flush=True)
    return 0


def check(args: argparse.Namespace) -> int:
    toaproxy_total = toaproxy_wrong = 0
    verify_total = verify_wrong = 0
    examples: list[str] = []
    logged_sports: Counter = Counter()
    with open(args.log, encoding="ascii", errors="replace") as log:
        for line in log:
            parts = line.split()
            if len(parts) != 3:
                continue
            addr, port_text, uri = parts
            port = int(port_text) if port_text.isdigit() else -1
            if uri.endswith(("peer=toaproxy", "peer=toaproxy-base")):
                toaproxy_total += 1
                if addr != derived_client(port):
                    toaproxy_wrong += 1
                    if len(examples) < 5:
                        examples.append(line.strip())
            elif "peer=verify" in uri:
                verify_total += 1
                sport = int(uri.rsplit("sport=", 1)[1])
                logged_sports[sport] += 1
                if port != sport or addr != derived_client(sport):
                    verify_wrong += 1
                    if len(examples) < 5:
                        examples.append(line.strip())
    with open(args.sports_file, encoding="ascii") as sports_file:
        sent = [int(p) for p in sports_file.read().split()]
    unlogged = sum((Counter(sent) - logged_sports).values())
    result = {
        "wrk_requests_logged": toaproxy_total,
        "wrk_misattributed": toaproxy_wrong,
        "verify_connections": len(sent),
        "verify_logged": verify_total,
        "verify_misattributed": verify_wrong,
        "verify_unlogged": unlogged,
        "examples": examples,
    }
    with open(args.output, "w", encoding="ascii") as output:
        json.dump(result, output, indent=1)
    print(json.dumps(result), flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="mode", required=True)
    c = sub.add_parser("connect")
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--count", type=int, required=True)
    c.add_argument("--concurrency", type=int, default=32)
    c.add_argument("--max-seconds", type=float, default=120.0)
    c.add_argument("--sports-file", required=True)
    k = sub.add_parser("check")
    k.add_argument("--log", required=True)
    k.add_argument("--sports-file", required=True)
    k.add_argument("--output", required=True)
    args = parser.parse_args()
    return connect(args) if args.mode == "connect" else check(args)


if __name__ == "__main__":
    sys.exit(main())
