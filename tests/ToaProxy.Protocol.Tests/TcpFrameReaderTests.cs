using System.Net;
using ToaProxy.Protocol;
using static ToaProxy.Protocol.Tests.TcpOptionBytes;

namespace ToaProxy.Protocol.Tests;

public class TcpFrameReaderTests
{
    // Where the TOA option sits among the options a Linux stack sends (SYN set, ACK set).
    private static readonly byte[][] OptionPlacements =
    [
        Concat(Toa254V4, Mss, SackPermitted, Timestamps, Nop, WindowScale),
        Concat(Mss, Toa254V4, SackPermitted, Timestamps, Nop, WindowScale),
        Concat(Mss, SackPermitted, Timestamps, Nop, WindowScale, Toa254V4),
        Concat(Nop, Nop, Timestamps, Toa254V4),
        Concat(Toa254V4, Nop, Nop, Timestamps),
        Concat(Mss, SackPermitted, Timestamps, Nop, WindowScale, Toa253V6),
        Concat(Nop, Toa253V6, Nop, Nop, Timestamps),
    ];

    public static TheoryData<FrameShape, int, int> ShapesVersionsPlacements()
    {
        var data = new TheoryData<FrameShape, int, int>();
        foreach (FrameShape shape in Enum.GetValues<FrameShape>())
        {
            foreach (int version in new[] { 4, 6 })
            {
                for (int placement = 0; placement < OptionPlacements.Length; placement++)
                {
                    data.Add(shape, version, placement);
                }
            }
        }

        return data;
    }

    public static TheoryData<FrameShape, int> ShapesAndVersions()
    {
        var data = new TheoryData<FrameShape, int>();
        foreach (FrameShape shape in Enum.GetValues<FrameShape>())
        {
            data.Add(shape, 4);
            data.Add(shape, 6);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ShapesVersionsPlacements))]
    public void Reads_every_link_type_and_ip_version_with_toa_among_common_options(FrameShape shape, int version, int placement)
    {
        byte[] options = OptionPlacements[placement];
        byte[] tcp = HandBuiltFrame.Tcp(options, payloadLength: 5);
        byte[] ip = version == 4 ? HandBuiltFrame.IPv4(tcp) : HandBuiltFrame.IPv6(tcp);
        byte[] frame = HandBuiltFrame.Wrap(shape, ip);

        FrameParseStatus status = TcpFrameReader.TryRead(frame, HandBuiltFrame.LinkTypeOf(shape), out TcpSegment segment);

        Assert.Equal(FrameParseStatus.Ok, status);
        Assert.Equal(version, segment.IpVersion);
        Assert.Equal(HandBuiltFrame.LinkHeaderLength(shape), segment.IpOffset);
        Assert.Equal(segment.IpOffset + (version == 4 ? 20 : 40), segment.TcpOffset);
        Assert.Equal(HandBuiltFrame.SourcePort, segment.SourcePort);
        Assert.Equal(HandBuiltFrame.DestinationPort, segment.DestinationPort);
        Assert.Equal(HandBuiltFrame.Sequence, segment.Sequence);
        Assert.Equal(HandBuiltFrame.Acknowledgment, segment.Acknowledgment);
        Assert.Equal(TcpFlags.Ack, segment.Flags);
        Assert.Equal(5, segment.PayloadLength);
        Assert.Equal(tcp.AsSpan(20, tcp.Length - 25).ToArray(), segment.Options.ToArray());
        Assert.Equal(version == 4 ? "10.1.2.3" : "2001:db8::33", segment.Source.ToString());
        Assert.Equal(version == 4 ? "10.9.8.7" : "2001:db8::44", segment.Destination.ToString());

        Span<ToaOption> found = stackalloc ToaOption[2];
        ToaScanResult result = ToaDecoder.Scan(segment.Options, ToaOptionTable.Default, found);
        Assert.Equal(ToaScanStatus.Found, result.Status);
        Assert.Equal(1, result.Count);
        Assert.Equal(12345, found[0].ClientPort);
        Assert.Equal(options.AsSpan().IndexOf(Toa254V4) >= 0 ? "203.0.113.7" : "2001:db8::7", found[0].Client.ToString());
    }

    [Theory]
    [MemberData(nameof(ShapesVersionsPlacements))]
    public void Reads_packetdotnet_ip_packets_in_every_link_type(FrameShape shape, int version, int placement)
    {
        byte[] options = OptionPlacements[placement];
        PacketDotNet.IPPacket ip = version == 4
            ? PacketDotNetFrame.IPv4("192.0.2.10", "192.0.2.20", options, [1, 2, 3], syn: true)
            : PacketDotNetFrame.IPv6("2001:db8::a", "2001:db8::b", options, [1, 2, 3], syn: true);
        byte[] frame = shape == FrameShape.Ethernet ? PacketDotNetFrame.Ethernet(ip) : HandBuiltFrame.Wrap(shape, ip.Bytes);

        Assert.Equal(FrameParseStatus.Ok, TcpFrameReader.TryRead(frame, HandBuiltFrame.LinkTypeOf(shape), out TcpSegment segment));

        Assert.Equal(NetAddress.FromIPAddress(ip.SourceAddress), segment.Source);
        Assert.Equal(NetAddress.FromIPAddress(ip.DestinationAddress), segment.Destination);
        Assert.Equal(PacketDotNetFrame.SourcePort, segment.SourcePort);
        Assert.Equal(PacketDotNetFrame.DestinationPort, segment.DestinationPort);
        Assert.Equal(TcpFlags.Syn, segment.Flags);
        Assert.Equal(3, segment.PayloadLength);
        Assert.Equal(HandBuiltFrame.LinkHeaderLength(shape), segment.IpOffset);
        Assert.Equal(ip.Bytes[(segment.TcpOffset - segment.IpOffset)..][..4], frame[segment.TcpOffset..][..4]);
        Assert.Equal(ToaScanStatus.Found, ToaDecoder.Scan(segment.Options, ToaOptionTable.Default, new ToaOption[1]).Status);
    }

    [Theory]
    [MemberData(nameof(ShapesAndVersions))]
    public void Every_truncation_of_a_frame_without_payload_is_rejected(FrameShape shape, int version)
    {
        byte[] tcp = HandBuiltFrame.Tcp(Concat(Mss, SackPermitted, Timestamps, Nop, WindowScale));
        byte[] ip = version == 4
            ? HandBuiltFrame.IPv4(tcp, ipOptions: [0x94, 4, 0, 0])
            : HandBuiltFrame.IPv6(tcp, (0, new byte[6]), (60, new byte[14]));
        byte[] frame = HandBuiltFrame.Wrap(shape, ip);
        LinkType linkType = HandBuiltFrame.LinkTypeOf(shape);
        Assert.Equal(FrameParseStatus.Ok, TcpFrameReader.TryRead(frame, linkType, out _));

        for (int length = 0; length < frame.Length; length++)
        {
            FrameParseStatus status = TcpFrameReader.TryRead(frame.AsSpan(0, length), linkType, out _);
            Assert.True(status is FrameParseStatus.Truncated, $"prefix of {length} bytes gave {status}");
        }
    }

    [Theory]
    [MemberData(nameof(ShapesAndVersions))]
    public void A_payload_cut_by_the_snaplen_still_reads_with_the_ip_payload_length(FrameShape shape, int version)
    {
        byte[] tcp = HandBuiltFrame.Tcp(Toa254V4, payloadLength: 100);
        byte[] ip = version == 4 ? HandBuiltFrame.IPv4(tcp) : HandBuiltFrame.IPv6(tcp);
        byte[] frame = HandBuiltFrame.Wrap(shape, ip);
        int headersEnd = frame.Length - 100;

        for (int length = headersEnd; length <= frame.Length; length++)
        {
            Assert.Equal(FrameParseStatus.Ok, TcpFrameReader.TryRead(frame.AsSpan(0, length), HandBuiltFrame.LinkTypeOf(shape), out TcpSegment segment));
            Assert.Equal(100, segment.PayloadLength);
        }
    }

    [Fact]
    public void Ethernet_padding_after_a_short_packet_is_not_payload()
    {
        byte[] frame = [.. HandBuiltFrame.Ethernet(HandBuiltFrame.IPv4(HandBuiltFrame.Tcp([]))), .. new byte[6]];

        Assert.Equal(FrameParseStatus.Ok, TcpFrameReader.TryRead(frame, LinkType.Ethernet, out TcpSegment segment));
        Assert.Equal(0, segment.PayloadLength);
        Assert.True(segment.Options.IsEmpty);
    }

    [Fact]
    public void IPv4_options_are_skipped_by_ihl()
    {
        byte[] ipOptions = [0x94, 4, 0, 0, 1, 1, 1, 0]; // router alert, NOP, NOP, NOP, EOL
        byte[] frame = HandBuiltFrame.IPv4(HandBuiltFrame.Tcp(Toa254V4), ipOptions);

        Assert.Equal(FrameParseStatus.Ok, TcpFrameReader.TryRead(frame, LinkType.RawIp, out TcpSegment segment));
        Assert.Equal(28, segment.TcpOffset);
        Assert.Equal(Toa254V4, segment.Options.ToArray());
    }

    [Fact]
    public void IPv6_hop_by_hop_routing_and_destination_options_are_skipped()
    {
        byte[] frame = HandBuiltFrame.IPv6(
            HandBuiltFrame.Tcp(Toa253V6, payloadLength: 3),
            (0, new byte[6]),
            (43, new byte[14]),
            (60, new byte[6]));

        Assert.Equal(FrameParseStatus.Ok, TcpFrameReader.TryRead(frame, LinkType.RawIp, out TcpSegment segment));
        Assert.Equal(40 + 8 + 16 + 8, segment.TcpOffset);
        Assert.Equal(3, segment.PayloadLength);
        Assert.Equal(Toa253V6, segment.Options.ToArray());
    }

    [Theory]
    [InlineData((ushort)0x2000)] // more fragments, offset 0: a first fragment
    [InlineData((ushort)0x0010)] // offset 16 × 8: a later fragment
    [InlineData((ushort)0x6010)] // DF and MF and offset: nonsense, still a fragment
    public void IPv4_fragments_are_reported(ushort flagsAndOffset)
    {
        byte[] frame = HandBuiltFrame.IPv4(HandBuiltFrame.Tcp([]), flagsAndFragmentOffset: flagsAndOffset);

        Assert.Equal(FrameParseStatus.Fragment, TcpFrameReader.TryRead(frame, LinkType.RawIp, out _));
    }

    [Fact]
    public void IPv4_dont_fragment_alone_is_not_a_fragment()
    {
        byte[] frame = HandBuiltFrame.IPv4(HandBuiltFrame.Tcp([]), flagsAndFragmentOffset: 0x4000);

        Assert.Equal(FrameParseStatus.Ok, TcpFrameReader.TryRead(frame, LinkType.RawIp, out _));
    }

    [Fact]
    public void IPv6_fragment_header_is_reported_even_after_other_extension_headers()
    {
        byte[] frame = HandBuiltFrame.IPv6(HandBuiltFrame.Tcp([]), (0, new byte[6]), (44, new byte[6]));

        Assert.Equal(FrameParseStatus.Fragment, TcpFrameReader.TryRead(frame, LinkType.RawIp, out _));
    }

    [Fact]
    public void Non_tcp_protocols_are_not_tcp()
    {
        byte[] udp4 = HandBuiltFrame.IPv4(new byte[28], protocol: 17);
        byte[] ah6 = HandBuiltFrame.IPv6(HandBuiltFrame.Tcp([]), (51, new byte[14]));
        byte[] noNext6 = HandBuiltFrame.IPv6(HandBuiltFrame.Tcp([]), (59, new byte[6]));

        Assert.Equal(FrameParseStatus.NotTcp, TcpFrameReader.TryRead(udp4, LinkType.RawIp, out _));
        Assert.Equal(FrameParseStatus.NotTcp, TcpFrameReader.TryRead(ah6, LinkType.RawIp, out _));
        Assert.Equal(FrameParseStatus.NotTcp, TcpFrameReader.TryRead(noNext6, LinkType.RawIp, out _));
    }

    [Fact]
    public void Non_ip_frames_are_not_ip()
    {
        byte[] arp = HandBuiltFrame.Ethernet(HandBuiltFrame.IPv4(HandBuiltFrame.Tcp([])));
        arp[12] = 0x08;
        arp[13] = 0x06;
        byte[] threeTags = HandBuiltFrame.Ethernet(HandBuiltFrame.IPv4(HandBuiltFrame.Tcp([])), 0x88A8, 0x8100, 0x8100);
        byte[] versionMismatch = HandBuiltFrame.Ethernet(HandBuiltFrame.IPv4(HandBuiltFrame.Tcp([])));
        versionMismatch[14] = 0x65;
        byte[] rawVersion5 = HandBuiltFrame.IPv4(HandBuiltFrame.Tcp([]));
        rawVersion5[0] = 0x55;

        Assert.Equal(FrameParseStatus.NotIp, TcpFrameReader.TryRead(arp, LinkType.Ethernet, out _));
        Assert.Equal(FrameParseStatus.NotIp, TcpFrameReader.TryRead(threeTags, LinkType.Ethernet, out _));
        Assert.Equal(FrameParseStatus.NotIp, TcpFrameReader.TryRead(versionMismatch, LinkType.Ethernet, out _));
        Assert.Equal(FrameParseStatus.NotIp, TcpFrameReader.TryRead(rawVersion5, LinkType.RawIp, out _));
    }

    [Fact]
    public void Unknown_link_types_are_unsupported()
    {
        byte[] frame = HandBuiltFrame.IPv4(HandBuiltFrame.Tcp([]));

        Assert.Equal(FrameParseStatus.UnsupportedLinkType, TcpFrameReader.TryRead(frame, (LinkType)228, out _));
    }

    [Theory]
    [InlineData(0, 0x44)] // IHL 4
    [InlineData(2, 0x00, 3, 19)] // total length 19 < IHL
    [InlineData(2, 0x00, 3, 39)] // total length leaves 19 bytes for TCP
    [InlineData(32, 0x40)] // TCP data offset 4
    [InlineData(32, 0xF0)] // TCP data offset 15 = 60 bytes > segment
    public void Inconsistent_ipv4_and_tcp_lengths_are_bad_lengths(int offset, byte value, int offset2 = -1, byte value2 = 0)
    {
        byte[] frame = HandBuiltFrame.IPv4(HandBuiltFrame.Tcp([]));
        frame[offset] = value;
        if (offset2 >= 0)
        {
            frame[offset2] = value2;
        }

        Assert.Equal(FrameParseStatus.BadLength, TcpFrameReader.TryRead(frame, LinkType.RawIp, out _));
    }

    [Theory]
    [InlineData(0)] // jumbogram marker: no room for TCP
    [InlineData(7)] // shorter than the 8-byte extension header
    [InlineData(30)] // extension header fits, TCP header does not
    public void Inconsistent_ipv6_payload_lengths_are_bad_lengths(byte payloadLength)
    {
        byte[] frame = HandBuiltFrame.IPv6(HandBuiltFrame.Tcp([]), (60, new byte[14]));
        frame[4] = 0;
        frame[5] = payloadLength;

        Assert.Equal(FrameParseStatus.BadLength, TcpFrameReader.TryRead(frame, LinkType.RawIp, out _));
    }

    [Fact]
    public void Extension_header_longer_than_the_payload_is_a_bad_length()
    {
        byte[] frame = HandBuiltFrame.IPv6(HandBuiltFrame.Tcp([]), (0, new byte[6]));
        frame[41] = 200;

        Assert.Equal(FrameParseStatus.BadLength, TcpFrameReader.TryRead(frame, LinkType.RawIp, out _));
    }

    [Fact]
    public void Reads_an_ipv4_syn_built_with_packetdotnet_on_ethernet()
    {
        byte[] options = Concat(Mss, SackPermitted, Timestamps, Nop, WindowScale, Toa254V4, Nop, Nop, Nop, Nop);
        byte[] frame = PacketDotNetFrame.Ethernet(PacketDotNetFrame.IPv4("192.0.2.10", "192.0.2.20", options, new byte[7], syn: true));

        Assert.Equal(FrameParseStatus.Ok, TcpFrameReader.TryRead(frame, LinkType.Ethernet, out TcpSegment segment));
        Assert.True(segment.IsSyn);
        Assert.Equal(NetAddress.FromIPAddress(IPAddress.Parse("192.0.2.10")), segment.Source);
        Assert.Equal(7, segment.PayloadLength);
        Assert.Equal(options, segment.Options.ToArray());
        Assert.Equal(new FlowKey(segment.Source, PacketDotNetFrame.SourcePort, segment.Destination, PacketDotNetFrame.DestinationPort), segment.ToReceiverKey());
    }

    [Fact]
    public void Reads_an_ipv6_ack_built_with_packetdotnet_on_ethernet()
    {
        byte[] options = Concat(Nop, Nop, Timestamps, Toa253V6);
        byte[] frame = PacketDotNetFrame.Ethernet(PacketDotNetFrame.IPv6("2001:db8::a", "2001:db8::b", options, []));

        Assert.Equal(FrameParseStatus.Ok, TcpFrameReader.TryRead(frame, LinkType.Ethernet, out TcpSegment segment));
        Assert.Equal(6, segment.IpVersion);
        Assert.False(segment.IsSyn);
        Assert.Equal(TcpFlags.Ack, segment.Flags);
        Assert.Equal(NetAddress.FromIPAddress(IPAddress.Parse("2001:db8::b")), segment.Destination);
        Assert.Equal(14, segment.IpOffset);
        Assert.Equal(54, segment.TcpOffset);
        Assert.Equal(options, segment.Options.ToArray());
    }

    [Fact]
    public void Reading_and_scanning_a_frame_allocates_nothing()
    {
        byte[] frame = HandBuiltFrame.Ethernet(HandBuiltFrame.IPv6(HandBuiltFrame.Tcp(Concat(Nop, Nop, Timestamps, Toa253V6)), (0, new byte[6])), 0x8100);
        var found = new ToaOption[2];
        int ReadAndScan() => TcpFrameReader.TryRead(frame, LinkType.Ethernet, out TcpSegment segment) == FrameParseStatus.Ok
            ? ToaDecoder.Scan(segment.Options, ToaOptionTable.Default, found).Count
            : -1;
        Assert.Equal(1, ReadAndScan());

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            ReadAndScan();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
