using ToaProxy.Capture.Bpf;
using ToaProxy.Capture.Tests.Support;
using ToaProxy.Protocol;

namespace ToaProxy.Capture.Tests.Bpf;

public sealed class CaptureBpfProgramTests
{
    private const int SnapLength = 256;
    private static readonly BpfInstruction[] Program = CaptureBpfProgram.Build(new CaptureFilter([80, 443]), SnapLength);

    private static uint Run(byte[] packet, PacketMetadata? metadata = null) =>
        ClassicBpfInterpreter.Run(Program, packet, metadata ?? (packet[0] >> 4 == 4 ? PacketMetadata.IPv4Host : PacketMetadata.IPv6Host));

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void SynToListedPortIsAcceptedWithSnapLength(int ipVersion)
    {
        Assert.Equal((uint)SnapLength, Run(TestPacket.Tcp(ipVersion, 443, TcpFlags.Syn, tcpOptionBytes: 20)));
        Assert.Equal((uint)SnapLength, Run(TestPacket.Tcp(ipVersion, 80, TcpFlags.Syn)));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void SynToOtherPortIsDropped(int ipVersion) =>
        Assert.Equal(0u, Run(TestPacket.Tcp(ipVersion, 8080, TcpFlags.Syn)));

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void SynAckWithTimestampsIsDropped(int ipVersion) =>
        Assert.Equal(0u, Run(TestPacket.Tcp(ipVersion, 80, TcpFlags.Syn | TcpFlags.Ack, tcpOptionBytes: 12)));

    [Theory]
    [InlineData(4, 0)]
    [InlineData(4, 12)]
    [InlineData(6, 0)]
    [InlineData(6, 12)]
    public void AckWithoutOptionsOrWithOnlyTimestampsIsDropped(int ipVersion, int optionBytes) =>
        Assert.Equal(0u, Run(TestPacket.Tcp(ipVersion, 80, TcpFlags.Ack | TcpFlags.Psh, tcpOptionBytes: optionBytes, payloadLength: 100)));

    [Theory]
    [InlineData(4, 4)]
    [InlineData(4, 20)]
    [InlineData(6, 20)]
    [InlineData(6, 40)]
    public void AckWithOtherOptionLengthIsAccepted(int ipVersion, int optionBytes) =>
        Assert.Equal((uint)SnapLength, Run(TestPacket.Tcp(ipVersion, 80, TcpFlags.Ack, tcpOptionBytes: optionBytes)));

    [Fact]
    public void AckWithOtherOptionToOtherPortIsDropped() =>
        Assert.Equal(0u, Run(TestPacket.Tcp(4, 22, TcpFlags.Ack, tcpOptionBytes: 20)));

    [Theory]
    [InlineData(4)]
    [InlineData(40)]
    public void IPv4HeaderOptionsMoveTheTcpHeader(int ipOptionBytes)
    {
        Assert.Equal((uint)SnapLength, Run(TestPacket.Tcp(4, 443, TcpFlags.Syn, ipv4OptionBytes: ipOptionBytes)));
        Assert.Equal(0u, Run(TestPacket.Tcp(4, 443, TcpFlags.Ack, tcpOptionBytes: 12, ipv4OptionBytes: ipOptionBytes)));
        Assert.Equal((uint)SnapLength, Run(TestPacket.Tcp(4, 443, TcpFlags.Ack, tcpOptionBytes: 24, ipv4OptionBytes: ipOptionBytes)));
    }

    [Theory]
    [InlineData((ushort)0x2000)] // first fragment: more-fragments set, offset 0
    [InlineData((ushort)0x0001)] // last fragment at offset 8
    [InlineData((ushort)0x2010)]
    public void IPv4FragmentsAreDropped(ushort fragmentField) =>
        Assert.Equal(0u, Run(TestPacket.Tcp(4, 80, TcpFlags.Syn, ipv4FragmentField: fragmentField)));

    [Fact]
    public void DontFragmentFlagIsNotAFragment() =>
        Assert.Equal((uint)SnapLength, Run(TestPacket.Tcp(4, 80, TcpFlags.Syn, ipv4FragmentField: 0x4000)));

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void OutgoingCopyIsDropped(int ipVersion)
    {
        var packet = TestPacket.Tcp(ipVersion, 80, TcpFlags.Syn);
        ushort etherType = ipVersion == 4 ? (ushort)0x0800 : (ushort)0x86dd;
        Assert.Equal(0u, Run(packet, new PacketMetadata(etherType, PacketMetadata.PacketOutgoing)));
    }

    [Fact]
    public void NonTcpAndNonIpAreDropped()
    {
        Assert.Equal(0u, Run(TestPacket.Tcp(4, 80, TcpFlags.Syn, nextHeader: 17)));
        Assert.Equal(0u, Run(TestPacket.Tcp(6, 80, TcpFlags.Syn, nextHeader: 17)));
        Assert.Equal(0u, Run(TestPacket.Tcp(6, 80, TcpFlags.Syn, nextHeader: 0))); // hop-by-hop header: not walked
        Assert.Equal(0u, Run(TestPacket.Tcp(4, 80, TcpFlags.Syn), new PacketMetadata(0x0806, PacketMetadata.PacketHost)));
    }

    [Fact]
    public void TruncatedPacketIsDropped() =>
        Assert.Equal(0u, Run(TestPacket.Tcp(4, 80, TcpFlags.Syn)[..30]));

    [Fact]
    public void EmptyPortListAcceptsEveryPort()
    {
        var everyPort = CaptureBpfProgram.Build(new CaptureFilter([]), 128);
        Assert.Equal(128u, ClassicBpfInterpreter.Run(everyPort, TestPacket.Tcp(4, 12345, TcpFlags.Syn), PacketMetadata.IPv4Host));
        Assert.Equal(0u, ClassicBpfInterpreter.Run(everyPort, TestPacket.Tcp(6, 12345, TcpFlags.Ack), PacketMetadata.IPv6Host));
    }

    [Fact]
    public void MaxPortsStillAssemblesAndMatchesTheLastPort()
    {
        var ports = Enumerable.Range(1000, CaptureBpfProgram.MaxPorts).Select(p => (ushort)p).ToArray();
        var program = CaptureBpfProgram.Build(new CaptureFilter(ports), 200);
        Assert.Equal(200u, ClassicBpfInterpreter.Run(program, TestPacket.Tcp(4, ports[^1], TcpFlags.Syn), PacketMetadata.IPv4Host));
        Assert.Equal(0u, ClassicBpfInterpreter.Run(program, TestPacket.Tcp(4, 999, TcpFlags.Syn), PacketMetadata.IPv4Host));
        Assert.Throws<ArgumentException>(() => CaptureBpfProgram.Build(new CaptureFilter([.. ports, 1]), 200));
    }
}
