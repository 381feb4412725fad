using System.Collections.Concurrent;
using ToaProxy.Protocol;

namespace ToaProxy.Capture.Tests;

/// <summary>
/// Records every frame (parsed by the test's own parser); when <see cref="StripKind"/> is set and
/// the backend allows it, overwrites that option with NOPs the way a stripping sink would.
/// </summary>
internal sealed class RecordingFrameSink : IFrameSink
{
    public ConcurrentQueue<ParsedTcpPacket> Packets { get; } = new();

    public ConcurrentQueue<Exception> Errors { get; } = new();

    public byte? StripKind { get; init; }

    public int Stripped;

    public bool OnFrame(Span<byte> frame, LinkType linkType, bool mayModify)
    {
        try
        {
            Assert.Equal(LinkType.RawIp, linkType);
            ParsedTcpPacket packet = ParsedTcpPacket.Parse(frame);
            Packets.Enqueue(packet);
            if (StripKind is not byte kind || !mayModify)
            {
                return false;
            }

            int at = OptionOffset(packet, kind);
            if (at < 0)
            {
                return false;
            }

            frame.Slice(packet.TcpOffset + 20 + at, packet.OptionBytes[at + 1]).Fill(1);
            Assert.True(TcpChecksum.TryUpdate(frame));
            Interlocked.Increment(ref Stripped);
            return true;
        }
        catch (Exception e)
        {
            Errors.Enqueue(e);
            return false;
        }
    }

    private static int OptionOffset(ParsedTcpPacket packet, byte kind)
    {
        byte[] options = packet.OptionBytes;
        for (int i = 0; i < options.Length && options[i] != 0;)
        {
            if (options[i] == 1)
            {
                i++;
                continue;
            }

            if (options[i] == kind)
            {
                return i;
            }

            i += options[i + 1];
        }

        return -1;
    }
}
