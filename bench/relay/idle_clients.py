#!/usr/bin/env python3
"""Opens COUNT keep-alive connections to 127.0.0.1:PORT, makes one small request on each (so every
relay has carried traffic and gone idle), prints "READY opened failed" and holds them until the
release file appears or --max-hold seconds pass. Used by bench/run.sh to measure idle RSS."""

import argparse
import os
import socket
import sys
import time


def read_response(sock: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed before the response headers")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed inside the response body")
        body += chunk


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--path", default="/small")
    parser.add_argument("--release-file", required=True)
    parser.add_argument("--max-hold", type=float, default=120.0)
    parser.add_argument("--open-timeout", type=float, default=120.0)
    args = parser.parse_args()

    request = f"GET {args.path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
    held = []
    failed = 0
    deadline = time.monotonic() + args.open_timeout
    for _ in range(args.count):
        if time.monotonic() > deadline:
            failed += args.count - len(held) - failed
            break
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(10)
        try:
            sock.connect(("127.0.0.1", args.port))
            sock.sendall(request)
            read_response(sock)
            held.append(sock)
        except (OSError, ConnectionError) as error:
            failed += 1
            sock.close()
            if failed <= 3:
                print(f"connection failed: {error}", file=sys.stderr, flush=True)

    print(f"READY {len(held)} {failed}", flush=True)
    release_by = time.monotonic() + args.max_hold
    while not os.path.exists(args.release_file) and time.monotonic() < release_by:
        time.sleep(0.1)
    for sock in held:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
