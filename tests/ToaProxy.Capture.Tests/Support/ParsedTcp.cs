using ToaProxy.Protocol;

namespace ToaProxy.Capture.Tests.Support;

/// <summary>The TCP facts a test asserts on, from <see cref="TestFrameParser"/>.</summary>
public readonly record struct ParsedTcp(int IpVersion, ushort SourcePort, ushort DestinationPort, TcpFlags Flags, int DataOffsetWords)
{
    public bool IsSyn => (Flags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn;
}
