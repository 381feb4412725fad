using System.Runtime.InteropServices;
using CsCheck;
using PacketDotNet;
using SharpPcap.LibPcap;
using ToaProxy.Capture.Bpf;
using ToaProxy.Capture.Pcap;
using ToaProxy.Capture.Tests.Support;
using ToaProxy.Protocol;

namespace ToaProxy.Capture.Tests.Pcap;

/// <summary>
/// The pcap expression, the AF_PACKET program and <see cref="CaptureFilter.Matches"/> must select the
/// same packets: the expression is compiled by libpcap for DLT_RAW and run in the test interpreter.
/// </summary>
public sealed class CapturePcapFilterTests
{
    private static readonly CaptureFilter Filter = new([80, 443]);

    private sealed record Case(int IpVersion, ushort Port, byte Flags, int TcpOptionWords, int IpOptionWords, ushort FragmentField, int PayloadLength)
    {
        public bool IsFragment => IpVersion == 4 && (FragmentField & 0x3fff) != 0;

        public byte[] Packet() => TestPacket.Tcp(
            IpVersion, Port, (TcpFlags)Flags, TcpOptionWords * 4,
            ipv4OptionBytes: IpVersion == 4 ? IpOptionWords * 4 : 0, ipv4FragmentField: IpVersion == 4 ? FragmentField : (ushort)0,
            payloadLength: PayloadLength);
    }

    [Fact]
    public void ExpressionProgramAndManagedFilterAgree()
    {
        var pcapProgram = CompileForRawIp(CapturePcapFilter.Build(Filter));
        var kernelProgram = CaptureBpfProgram.Build(Filter, 256);

        Gen.Select(
                Gen.OneOf(4, 6),
                Gen.OneOf<ushort>(80, 443, 8080, 22),
                Gen.Byte,
                Gen.Int[0, 10],
                Gen.Int[0, 10],
                Gen.OneOf<ushort>(0, 0x4000, 0x2000, 0x0001, 0x1fff),
                Gen.Int[0, 64],
                (v, port, flags, tcpWords, ipWords, fragment, payload) => new Case(v, port, flags, tcpWords, ipWords, fragment, payload))
            .Sample(c =>
            {
                var packet = c.Packet();
                var metadata = c.IpVersion == 4 ? PacketMetadata.IPv4Host : PacketMetadata.IPv6Host;
                bool expected = !c.IsFragment && Filter.Matches(Segment(c, packet));
                bool byKernelProgram = ClassicBpfInterpreter.Run(kernelProgram, packet, metadata) != 0;
                bool byPcapExpression = ClassicBpfInterpreter.Run(pcapProgram, packet, metadata) != 0;
                return expected == byKernelProgram && expected == byPcapExpression;
            }, iter: 5000);
    }

    [Fact]
    public void EmptyPortListCompilesAndAcceptsAnyPort()
    {
        var program = CompileForRawIp(CapturePcapFilter.Build(new CaptureFilter([])));
        Assert.NotEqual(0u, ClassicBpfInterpreter.Run(program, TestPacket.Tcp(6, 9999, TcpFlags.Syn), PacketMetadata.IPv6Host));
        Assert.Equal(0u, ClassicBpfInterpreter.Run(program, TestPacket.Tcp(4, 9999, TcpFlags.Ack, tcpOptionBytes: 12), PacketMetadata.IPv4Host));
    }

    private static TcpSegment Segment(Case c, byte[] packet)
    {
        int tcpOffset = c.IpVersion == 4 ? 20 + (c.IpOptionWords * 4) : 40;
        var options = packet.AsSpan(tcpOffset + 20, c.TcpOptionWords * 4);
        return new TcpSegment(
            c.IpVersion, NetAddress.None, NetAddress.None, 40000, c.Port, (TcpFlags)c.Flags, 0, 0,
            c.PayloadLength, options, 0, tcpOffset);
    }

    /// <summary>Compiles with libpcap for DLT_RAW (bare IP) and copies out struct bpf_program's instructions.</summary>
    private static unsafe BpfInstruction[] CompileForRawIp(string expression)
    {
        using var compiled = BpfProgram.Create(LinkLayers.RawLegacy, expression, 1, 0);
        nint program = compiled.DangerousGetHandle();
        uint length = *(uint*)program;
        var instructions = *(BpfInstruction**)(program + IntPtr.Size);
        return new ReadOnlySpan<BpfInstruction>(instructions, (int)length).ToArray();
    }
}
