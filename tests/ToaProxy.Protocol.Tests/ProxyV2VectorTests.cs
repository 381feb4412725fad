using System.Text;

namespace ToaProxy.Protocol.Tests;

public class ProxyV2VectorTests
{
    private static readonly ProxyV2CustomTlv[] VpcEndpoint = [new(0xEA, "vpce-1"u8.ToArray())];

    [Fact]
    public void Writer_produces_the_IPv4_vector()
    {
        AssertWrites(ProxyV2Vectors.Inet, ProxyHeader.Tcp(ProxyV2Vectors.Client4, 54321, ProxyV2Vectors.Server4, 443));
    }

    [Fact]
    public void Dual_stack_IPv4_mapped_addresses_are_written_as_AF_INET()
    {
        var mappedClient = NetAddress.FromIPv6(Hex.Bytes("00000000000000000000FFFF C0000201"));
        var mappedServer = NetAddress.FromIPv6(Hex.Bytes("00000000000000000000FFFF C6336407"));
        AssertWrites(ProxyV2Vectors.Inet, ProxyHeader.Tcp(mappedClient, 54321, mappedServer, 443));
    }

    [Fact]
    public void Writer_produces_the_IPv6_vector()
    {
        AssertWrites(ProxyV2Vectors.Inet6, ProxyHeader.Tcp(ProxyV2Vectors.Client6, 40000, ProxyV2Vectors.Server6, 8443));
    }

    [Fact]
    public void IPv6_client_to_IPv4_destination_is_written_as_AF_INET6_with_a_mapped_destination()
    {
        AssertWrites(ProxyV2Vectors.Nat64, ProxyHeader.Tcp(ProxyV2Vectors.Client6, 40000, ProxyV2Vectors.Server4, 443));
    }

    [Fact]
    public void Writer_produces_the_LOCAL_and_UNSPEC_vectors()
    {
        AssertWrites(ProxyV2Vectors.Local, ProxyHeader.Local);
        AssertWrites(ProxyV2Vectors.Unspec, ProxyHeader.Unknown);
    }

    [Fact]
    public void Writer_produces_the_TLV_vector_with_its_CRC32C()
    {
        var tlvs = new ProxyV2TlvSet
        {
            Crc32C = true,
            Alpn = "h2"u8,
            Authority = "example.com"u8,
            UniqueId = "abc123"u8,
            Custom = VpcEndpoint,
            NoopLength = 2,
        };
        AssertWrites(ProxyV2Vectors.InetWithTlvs, ProxyHeader.Tcp(ProxyV2Vectors.Client4, 54321, ProxyV2Vectors.Server4, 443), tlvs);
        AssertWrites(ProxyV2Vectors.Inet6WithCrc, ProxyHeader.Tcp(ProxyV2Vectors.Client6, 40000, ProxyV2Vectors.Server6, 8443), new ProxyV2TlvSet { Crc32C = true });
        AssertWrites(ProxyV2Vectors.LocalWithTlvs, ProxyHeader.Local, new ProxyV2TlvSet { Crc32C = true, UniqueId = "hc"u8 });
    }

    [Fact]
    public void Reader_parses_the_IPv4_vector_followed_by_payload()
    {
        byte[] input = [.. ProxyV2Vectors.Inet, .. "GET / HTTP/1.1\r\n"u8];
        ProxyV2ReadResult result = ProxyV2Reader.Read(input);

        Assert.Equal(ProxyReadStatus.Complete, result.Status);
        Assert.Equal(28, result.HeaderLength);
        Assert.Equal(ProxyCommand.Proxy, result.Header.Command);
        Assert.Equal(ProxyAddressFamily.Inet, result.Header.Family);
        Assert.Equal(ProxyTransport.Stream, result.Header.Transport);
        Assert.Equal("192.0.2.1", result.Header.Source.ToString());
        Assert.Equal(54321, result.Header.SourcePort);
        Assert.Equal("198.51.100.7", result.Header.Destination.ToString());
        Assert.Equal(443, result.Header.DestinationPort);
        Assert.Equal(0, result.TlvLength);
    }

    [Fact]
    public void Reader_parses_the_IPv6_and_NAT64_vectors()
    {
        ProxyV2ReadResult v6 = ProxyV2Reader.Read(ProxyV2Vectors.Inet6);
        Assert.Equal(ProxyReadStatus.Complete, v6.Status);
        Assert.Equal(52, v6.HeaderLength);
        Assert.Equal(ProxyAddressFamily.Inet6, v6.Header.Family);
        Assert.Equal("2001:db8::1", v6.Header.Source.ToString());
        Assert.Equal(40000, v6.Header.SourcePort);
        Assert.Equal("2001:db8::2", v6.Header.Destination.ToString());
        Assert.Equal(8443, v6.Header.DestinationPort);

        ProxyV2ReadResult nat64 = ProxyV2Reader.Read(ProxyV2Vectors.Nat64);
        Assert.Equal(ProxyReadStatus.Complete, nat64.Status);
        Assert.Equal(ProxyAddressFamily.Inet6, nat64.Header.Family);
        Assert.True(nat64.Header.Destination.IsIPv4);
        Assert.Equal(ProxyV2Vectors.Server4, nat64.Header.Destination);
    }

    [Fact]
    public void Reader_parses_LOCAL_and_UNSPEC_without_addresses()
    {
        ProxyV2ReadResult local = ProxyV2Reader.Read(ProxyV2Vectors.Local);
        Assert.Equal(ProxyReadStatus.Complete, local.Status);
        Assert.Equal(ProxyHeader.Local, local.Header);
        Assert.False(local.Header.HasAddresses);
        Assert.Equal(16, local.HeaderLength);

        ProxyV2ReadResult unspec = ProxyV2Reader.Read(ProxyV2Vectors.Unspec);
        Assert.Equal(ProxyReadStatus.Complete, unspec.Status);
        Assert.Equal(ProxyHeader.Unknown, unspec.Header);
        Assert.False(unspec.Header.HasAddresses);
    }

    [Fact]
    public void Reader_returns_the_TLVs_as_slices_of_the_input_in_wire_order()
    {
        byte[] input = ProxyV2Vectors.InetWithTlvs;
        ProxyV2ReadResult result = ProxyV2Reader.Read(input);
        Assert.Equal(ProxyReadStatus.Complete, result.Status);
        Assert.Equal(77, result.HeaderLength);
        Assert.Equal(28, result.TlvOffset);
        Assert.Equal(49, result.TlvLength);

        var seen = new List<(byte Type, string Value, int Offset)>();
        foreach (ProxyV2TlvEntry tlv in result.EnumerateTlvs(input))
        {
            seen.Add((tlv.Type, Encoding.ASCII.GetString(tlv.Value), tlv.ValueOffset));
        }

        Assert.Equal(
            [(0x03, Encoding.ASCII.GetString(input, 31, 4), 31), (0x01, "h2", 38), (0x02, "example.com", 43), (0x05, "abc123", 57), (0xEA, "vpce-1", 66), (0x04, "\0\0", 75)],
            seen);
        Assert.True(result.TryGetTlv(input, ProxyV2TlvType.UniqueId, out ReadOnlySpan<byte> uniqueId));
        Assert.Equal("abc123"u8.ToArray(), uniqueId.ToArray());
        Assert.False(result.TryGetTlv(input, ProxyV2TlvType.Netns, out _));
    }

    [Fact]
    public void Reader_verifies_CRC32C_on_LOCAL_too()
    {
        ProxyV2ReadResult result = ProxyV2Reader.Read(ProxyV2Vectors.LocalWithTlvs);
        Assert.Equal(ProxyReadStatus.Complete, result.Status);
        Assert.Equal(ProxyHeader.Local, result.Header);
        Assert.True(result.TryGetTlv(ProxyV2Vectors.LocalWithTlvs, ProxyV2TlvType.UniqueId, out ReadOnlySpan<byte> id));
        Assert.Equal("hc"u8.ToArray(), id.ToArray());

        byte[] corrupted = ProxyV2Vectors.LocalWithTlvs;
        corrupted[^1] ^= 0x01;
        Assert.Equal(ProxyV2Rejection.Crc32CMismatch, ProxyV2Reader.Read(corrupted).Rejection);
    }

    [Fact]
    public void Reader_accepts_a_LOCAL_whose_length_is_shorter_than_its_family_block()
    {
        // LOCAL discards the block "including the family", so an INET family with length 0 is valid.
        ProxyV2ReadResult result = ProxyV2Reader.Read(Hex.Bytes(ProxyV2Vectors.Signature + "20 11 0000"));
        Assert.Equal(ProxyReadStatus.Complete, result.Status);
        Assert.Equal(ProxyHeader.Local, result.Header);
    }

    [Fact]
    public void Reader_accepts_UDP_and_UNIX_families_without_reporting_addresses_for_UNIX()
    {
        ProxyV2ReadResult udp = ProxyV2Reader.Read(Hex.Bytes(ProxyV2Vectors.Signature + "21 12 000C | C0000201 C6336407 | 0035 0035"));
        Assert.Equal(ProxyReadStatus.Complete, udp.Status);
        Assert.Equal(ProxyTransport.Datagram, udp.Header.Transport);
        Assert.Equal(53, udp.Header.DestinationPort);

        byte[] unix = [.. Hex.Bytes(ProxyV2Vectors.Signature + "21 31 00D8"), .. new byte[216]];
        ProxyV2ReadResult unixResult = ProxyV2Reader.Read(unix);
        Assert.Equal(ProxyReadStatus.Complete, unixResult.Status);
        Assert.Equal(ProxyAddressFamily.Unix, unixResult.Header.Family);
        Assert.False(unixResult.Header.HasAddresses);
        Assert.Equal(232, unixResult.HeaderLength);
    }

    [Fact]
    public void Header_from_a_flow_uses_the_peer_as_source()
    {
        var flow = new FlowKey(ProxyV2Vectors.Client4, 54321, ProxyV2Vectors.Server4, 443);
        AssertWrites(ProxyV2Vectors.Inet, ProxyHeader.Tcp(flow));
    }

    private static void AssertWrites(byte[] expected, ProxyHeader header) => AssertWrites(expected, header, ProxyV2TlvSet.None);

    private static void AssertWrites(byte[] expected, ProxyHeader header, ProxyV2TlvSet tlvs)
    {
        Assert.Equal(expected.Length, ProxyV2Writer.GetLength(header, tlvs));
        var buffer = new byte[expected.Length + 8];
        int written = ProxyV2Writer.Write(header, tlvs, buffer);
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(buffer, 0, written));

        ProxyV2ReadResult back = ProxyV2Reader.Read(expected);
        Assert.Equal(ProxyReadStatus.Complete, back.Status);
        Assert.Equal(header, back.Header);
    }
}
