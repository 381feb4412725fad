using System.Buffers.Binary;
using ToaProxy.Protocol;

namespace ToaProxy.Capture.Tests.Support;

/// <summary>
/// A minimal frame parser for assertions (the production TcpFrameReader is written elsewhere):
/// skips the link header, reads IPv4/IPv6 + TCP ports and flags.
/// </summary>
public static class TestFrameParser
{
    public static ParsedTcp? Parse(ReadOnlySpan<byte> frame, LinkType linkType)
    {
        int ip;
        switch (linkType)
        {
            case LinkType.RawIp:
                ip = 0;
                break;
            case LinkType.Ethernet:
                ip = 14;
                break;
            case LinkType.LinuxSll:
                ip = 16;
                break;
            case LinkType.LinuxSll2:
                ip = 20;
                break;
            default:
                return null;
        }

        if (frame.Length < ip + 1)
        {
            return null;
        }

        int version = frame[ip] >> 4;
        int tcp;
        if (version == 4 && frame.Length >= ip + 20 && frame[ip + 9] == 6)
        {
            tcp = ip + (4 * (frame[ip] & 0xf));
        }
        else if (version == 6 && frame.Length >= ip + 40 && frame[ip + 6] == 6)
        {
            tcp = ip + 40;
        }
        else
        {
            return null;
        }

        if (frame.Length < tcp + 20)
        {
            return null;
        }

        return new ParsedTcp(
            version,
            BinaryPrimitives.ReadUInt16BigEndian(frame[tcp..]),
            BinaryPrimitives.ReadUInt16BigEndian(frame[(tcp + 2)..]),
            (TcpFlags)frame[tcp + 13],
            frame[tcp + 12] >> 4);
    }
}
