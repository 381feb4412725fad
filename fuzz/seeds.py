#!/usr/bin/env python3
"""Writes the hand-made seed corpora under fuzz/corpus/<target>/: small valid inputs that reach deep
into each parser (the fuzzer mutates from there). Rerun after changing a seed; output is deterministic."""
import ipaddress
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
LINKS = ["ethernet", "sll", "sll2", "raw"]  # FuzzTargets.LinkTypes order: selector bits 0-1


def v4(text):
    return ipaddress.IPv4Address(text).packed


def v6(text):
    return ipaddress.IPv6Address(text).packed


def tcp(options, flags=0x02, payload=b""):
    assert len(options) % 4 == 0
    offset = (20 + len(options)) // 4
    return struct.pack("!HHIIBBHHH", 40000, 8080, 1000, 0, offset << 4, flags, 65535, 0, 0) + options + payload


def ipv4(segment, src="10.0.0.1", dst="10.0.0.2"):
    return struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(segment), 1, 0x4000, 64, 6, 0) + v4(src) + v4(dst) + segment


def ipv6(segment, src="2001:db8::1", dst="2001:db8::2", hop_by_hop=False):
    if hop_by_hop:
        # Hop-by-hop header: next header TCP, length 0 (8 bytes), PadN filling the rest.
        segment = bytes([6, 0, 1, 4, 0, 0, 0, 0]) + segment
    next_header = 0 if hop_by_hop else 6
    return struct.pack("!IHBB", 6 << 28, len(segment), next_header, 64) + v6(src) + v6(dst) + segment


def link(kind, packet):
    ether_type = 0x0800 if packet[0] >> 4 == 4 else 0x86DD
    if kind == "ethernet":
        return b"\x02" * 6 + b"\x04" * 6 + struct.pack("!H", ether_type) + packet
    if kind == "vlan":
        return b"\x02" * 6 + b"\x04" * 6 + struct.pack("!HHH", 0x8100, 100, ether_type) + packet
    if kind == "sll":
        return struct.pack("!HHH", 0, 1, 6) + b"\x02" * 8 + struct.pack("!H", ether_type) + packet
    if kind == "sll2":
        return struct.pack("!HHIHBB", ether_type, 0, 2, 1, 0, 6) + b"\x02" * 8 + packet
    return packet


MSS = bytes([2, 4, 0x05, 0xB4])
NOP2 = bytes([1, 1])
TOA_254_V4 = bytes([254, 8]) + struct.pack("!H", 0x1234) + v4("203.0.113.7")
TOA_200_V4 = bytes([200, 8]) + struct.pack("!H", 0x1234) + v4("203.0.113.8")
VIP_202 = bytes([202, 8]) + struct.pack("!H", 443) + v4("198.51.100.1")
TOA_253_V6 = bytes([253, 20]) + struct.pack("!H", 0x1234) + v6("2001:db8:ffff::9")
TOA_254_V4_VIP = bytes([254, 16]) + struct.pack("!H", 0x1234) + v4("203.0.113.9") + b"\x00\x00" + struct.pack("!H", 443) + v4("198.51.100.2")
TOA_252 = bytes([252, 20]) + struct.pack("!H", 0x1234) + v4("203.0.113.10") + struct.pack("!I", 77) + v4("198.51.100.3") + struct.pack("!H", 443) + b"\x00\x00"
TOA_249 = bytes([249, 40]) + struct.pack("!H", 0x1234) + v6("2001:db8::10") + bytes([0, 0, 0x4D]) + b"\x00" + v6("2001:db8::20")
VPC_201 = bytes([201, 6]) + struct.pack("!I", 77)
CDN_28 = bytes([28, 7, 1]) + v4("203.0.113.11")
TFO_COOKIE = bytes([254, 12, 0xF9, 0x89]) + b"\x11" * 8

FRAMES = {
    "syn-v4-254": ipv4(tcp(MSS + TOA_254_V4)),
    "syn-v4-200-vip202": ipv4(tcp(MSS + TOA_200_V4 + VIP_202)),
    "syn-v4-254-vip": ipv4(tcp(MSS + TOA_254_V4_VIP + NOP2 + NOP2)),
    "ack-v4-252": ipv4(tcp(TOA_252, flags=0x10)),
    "syn-v4-200-vpc201": ipv4(tcp(TOA_200_V4 + VPC_201 + NOP2)),
    "data-v4-254": ipv4(tcp(TOA_254_V4, flags=0x18, payload=b"GET / HTTP/1.1\r\n\r\n")),
    "syn-v4-tfo-cookie-254": ipv4(tcp(TFO_COOKIE + TOA_254_V4)),
    "syn-v6-253": ipv6(tcp(MSS + TOA_253_V6)),
    "syn-v6-hbh-249": ipv6(tcp(TOA_249), hop_by_hop=True),
    "syn-v4-cdn28": ipv4(tcp(CDN_28 + b"\x01")),
}


def write(target, name, data):
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def frame_seeds():
    # Selector: link index, bit 2 = the All table (for 28/x), capacity 8 (bits 3-5 = 7).
    for name, packet in FRAMES.items():
        table = 4 if "cdn28" in name else 0
        for index, kind in enumerate(LINKS):
            write("frame", f"{kind}-{name}", bytes([index | table | 0x38]) + link(kind, packet))
    write("frame", "vlan-syn-v4-254", bytes([0x38]) + link("vlan", FRAMES["syn-v4-254"]))


def strip_seeds():
    for name, packet in FRAMES.items():
        write("strip", name, bytes([1 if "cdn28" in name else 0]) + packet)


def observer_seeds():
    # Selector: link index, bit 2 table, bit 3 strip; then length-prefixed frames (SYN, then ACK, then data).
    syn = FRAMES["syn-v4-254"]
    ack = ipv4(tcp(TOA_254_V4, flags=0x10))
    for index, kind in enumerate(LINKS):
        frames = b"".join(bytes([len(f)]) + f for f in (link(kind, syn), link(kind, ack), link(kind, FRAMES["data-v4-254"])))
        write("observer", f"{kind}-syn-ack-data", bytes([index | 8]) + frames)
    flood = b"".join(bytes([len(p)]) + p for p in (ipv4(tcp(TOA_254_V4), src=f"10.0.0.{i}") for i in range(1, 7)))
    write("observer", "raw-six-syns-evict", bytes([3]) + flood)
    # Restricted (bit 4): trusted 10.0.0.0/8 to port 8080, then an untrusted source, then another port.
    untrusted = ipv4(tcp(TOA_254_V4), src="192.0.2.1")
    other_port = ipv4(tcp(TOA_254_V4)).replace(struct.pack("!HH", 40000, 8080), struct.pack("!HH", 40000, 9090), 1)
    mixed = b"".join(bytes([len(p)]) + p for p in (syn, untrusted, other_port))
    write("observer", "raw-restricted-trusted-untrusted-port", bytes([3 | 16]) + mixed)
    v6 = FRAMES["syn-v6-253"]
    write("observer", "raw-syn-v6-253", bytes([3 | 8, len(v6)]) + v6)


CRC32C_TABLE = []
for n in range(256):
    c = n
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    CRC32C_TABLE.append(c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = CRC32C_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


def tlv(kind, value):
    return struct.pack("!BH", kind, len(value)) + value


def proxy_v2(command, family, addresses, tlvs=b"", crc=False, payload=b""):
    if crc:
        tlvs += tlv(0x03, b"\x00" * 4)
    body = addresses + tlvs
    header = SIGNATURE + bytes([0x20 | command, family]) + struct.pack("!H", len(body)) + body
    if crc:
        header = header[:-4] + struct.pack("!I", crc32c(header))
    return header + payload


def proxy_v2_seeds():
    inet = v4("203.0.113.7") + v4("10.0.0.2") + struct.pack("!HH", 40000, 8080)
    inet6 = v6("2001:db8::1") + v6("2001:db8::2") + struct.pack("!HH", 40000, 8080)
    rich = tlv(0x01, b"h2") + tlv(0x02, b"example.com") + tlv(0x05, b"id-1") + tlv(0x04, b"\x00\x00") + tlv(0xE0, b"\x01\x02")
    write("proxyv2", "inet-tcp", proxy_v2(1, 0x11, inet, payload=b"GET /"))
    write("proxyv2", "inet-tcp-tlvs-crc", proxy_v2(1, 0x11, inet, rich, crc=True))
    write("proxyv2", "inet6-tcp-crc", proxy_v2(1, 0x21, inet6, tlv(0x01, b"http/1.1"), crc=True))
    write("proxyv2", "inet6-udp", proxy_v2(1, 0x22, inet6))
    write("proxyv2", "unix-stream", proxy_v2(1, 0x31, b"/tmp/a".ljust(108, b"\x00") + b"/tmp/b".ljust(108, b"\x00")))
    write("proxyv2", "local", proxy_v2(0, 0x00, b""))
    write("proxyv2", "local-with-inet", proxy_v2(0, 0x11, inet))
    write("proxyv2", "unspec-proxy", proxy_v2(1, 0x00, b"", tlv(0x04, b"")))
    # Just past the spec's limits (unique ID 128 bytes, authority 255), so the rejections are in reach.
    write("proxyv2", "unique-id-129", proxy_v2(1, 0x11, inet, tlv(0x05, b"u" * 129)))
    write("proxyv2", "authority-256", proxy_v2(1, 0x11, inet, tlv(0x02, b"a" * 256)))


def proxy_v1_seeds():
    write("proxyv1", "tcp4", b"PROXY TCP4 203.0.113.7 10.0.0.2 40000 8080\r\nGET / HTTP/1.1\r\n")
    write("proxyv1", "tcp6", b"PROXY TCP6 2001:db8::1 2001:db8::2 40000 8080\r\n")
    write("proxyv1", "tcp6-mapped", b"PROXY TCP6 ::ffff:203.0.113.7 2001:db8::2 65535 1\r\n")
    write("proxyv1", "tcp6-full", b"PROXY TCP6 2001:0db8:0000:0000:0000:0000:0000:0001 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 0 65535\r\n")
    write("proxyv1", "unknown", b"PROXY UNKNOWN\r\n")
    write("proxyv1", "unknown-trailing", b"PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2\r\n")


if __name__ == "__main__":
    frame_seeds()
    strip_seeds()
    observer_seeds()
    proxy_v2_seeds()
    proxy_v1_seeds()
