using System.Net;
using ToaProxy.Protocol;

namespace ToaProxy.Protocol.Tests;

public class FlowKeyTests
{
    [Fact]
    public void A_dual_stack_socket_key_equals_the_captured_packet_key()
    {
        var fromSocket = FlowKey.FromEndPoints(
            new IPEndPoint(IPAddress.Parse("::ffff:203.0.113.7"), 40000), new IPEndPoint(IPAddress.Parse("::ffff:10.0.0.5"), 80));
        var fromPacket = new FlowKey(NetAddress.FromIPv4([203, 0, 113, 7]), 40000, NetAddress.FromIPv4([10, 0, 0, 5]), 80);

        Assert.Equal(fromPacket, fromSocket);
        Assert.Equal(fromPacket.GetHashCode(), fromSocket.GetHashCode());
        Assert.Equal("203.0.113.7:40000->10.0.0.5:80", fromSocket.ToString());
    }

    [Fact]
    public void Keys_differ_by_any_field_and_format_ipv6_in_brackets()
    {
        var key = FlowKey.FromEndPoints(new IPEndPoint(IPAddress.Parse("2001:db8::1"), 1), new IPEndPoint(IPAddress.Parse("2001:db8::2"), 2));

        Assert.NotEqual(key, key with { PeerPort = 3 });
        Assert.NotEqual(key, key with { Local = key.Peer });
        Assert.Equal("[2001:db8::1]:1->[2001:db8::2]:2", key.ToString());
    }

    [Fact]
    public void A_segment_gives_the_receiver_key()
    {
        byte[] frame = HandBuiltFrame.IPv4(HandBuiltFrame.Tcp([]));
        Assert.Equal(FrameParseStatus.Ok, TcpFrameReader.TryRead(frame, LinkType.RawIp, out TcpSegment segment));

        Assert.Equal("10.1.2.3:40000->10.9.8.7:8080", segment.ToReceiverKey().ToString());
    }
}
