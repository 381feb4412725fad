using ToaProxy.Capture;
using ToaProxy.Capture.Flows;
using ToaProxy.Protocol;

namespace ToaProxy.Fuzzing;

/// <summary>
/// The code each fuzz target runs on one input, shared by the AFL++ harness (Program) and the
/// deterministic corpus replay in the test suite. A "crash" is any exception leaving
/// <see cref="Run"/>: the parsers promise never to throw, and <see cref="FuzzInvariantException"/>
/// reports a result that breaks a documented promise.
/// </summary>
public static class FuzzTargets
{
    private const int MaxToaOptions = 8;

    // Tiny, so a few frames in one input already reach the eviction paths.
    private const int ObserverMaxFlows = 4;

    private static readonly LinkType[] LinkTypes = [LinkType.Ethernet, LinkType.LinuxSll, LinkType.LinuxSll2, LinkType.RawIp];

    // The seeds' load balancer and service, so the restricted observer reaches both the trusted and the untrusted paths.
    private static readonly TrustedSourceList SeedLoadBalancers = new([Cidr("10.0.0.0/8"), Cidr("2001:db8::/32")]);
    private static readonly ushort[] SeedServicePorts = [8080];

    public static void Run(FuzzTarget target, ReadOnlySpan<byte> input)
    {
        switch (target)
        {
            case FuzzTarget.Frame:
                Frame(input);
                break;
            case FuzzTarget.Strip:
                Strip(input);
                break;
            case FuzzTarget.ProxyV2:
                ProxyV2(input);
                break;
            case FuzzTarget.ProxyV1:
                ProxyV1(input);
                break;
            case FuzzTarget.Observer:
                Observer(input);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(target), target, "Unknown fuzz target.");
        }
    }

    // Selector byte: bits 0-1 link type, bit 2 option table, bits 3-5 result capacity - 1.
    private static void Frame(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        byte selector = input[0];
        ReadOnlySpan<byte> frame = input[1..];
        if (TcpFrameReader.TryRead(frame, LinkTypes[selector & 3], out TcpSegment segment) != FrameParseStatus.Ok)
        {
            return;
        }

        Require(segment.IpOffset < segment.TcpOffset && segment.TcpOffset + 20 + segment.Options.Length <= frame.Length, "segment lies outside the frame");
        Require(segment.Options.Length % 4 == 0 && segment.PayloadLength >= 0, "options or payload length is impossible");
        Span<ToaOption> found = stackalloc ToaOption[MaxToaOptions];
        found = found[..(((selector >> 3) & 7) + 1)];
        ToaScanResult scan = ToaDecoder.Scan(segment.Options, TableFor(selector >> 2), found, segment.IsSyn);
        Require(scan.Count <= found.Length, "scan reported more options than it could write");
        Require(scan.Status != ToaScanStatus.Found || scan.Count > 0, "scan found options but wrote none");
    }

    // Selector byte: bit 0 option table.
    private static void Strip(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        ToaOptionTable table = TableFor(input[0]);
        byte[] packet = input[1..].ToArray();
        if (ToaOptionStripper.Strip(packet, table))
        {
            // Every stripped option became NOPs and the walk is otherwise unchanged, so nothing is left to strip.
            Require(!ToaOptionStripper.Strip(packet, table), "a second strip changed the packet again");
        }
    }

    private static void ProxyV2(ReadOnlySpan<byte> input)
    {
        ProxyV2ReadResult result = ProxyV2Reader.Read(input);
        if (!result.IsComplete)
        {
            return;
        }

        Require(result.HeaderLength >= 16 && result.HeaderLength <= input.Length, "header length outside the input");
        Require(result.TlvOffset >= 16 && result.TlvOffset + result.TlvLength == result.HeaderLength, "TLV area outside the header");
        foreach (ProxyV2TlvEntry tlv in result.EnumerateTlvs(input))
        {
            Require(tlv.ValueOffset + tlv.Value.Length <= result.HeaderLength, "TLV value beyond the header");
        }
    }

    private static void ProxyV1(ReadOnlySpan<byte> input)
    {
        ProxyV1ReadResult result = ProxyV1Reader.Read(input);
        if (!result.IsComplete)
        {
            return;
        }

        Require(result.HeaderLength <= Math.Min(input.Length, ProxyV1Writer.MaxLength), "line length beyond the input or the spec");

        // What the reader accepts the writer must be able to say again, meaning the same thing.
        Span<byte> line = stackalloc byte[ProxyV1Writer.MaxLength];
        int length = ProxyV1Writer.Write(result.Header, line);
        ProxyV1ReadResult reread = ProxyV1Reader.Read(line[..length]);
        Require(reread.IsComplete && reread.Header == result.Header, $"round trip changed {result.Header} to {reread.Header}");
    }

    // Selector byte: bits 0-1 link type, bit 2 option table, bit 3 strip, bit 4 restrict trusted sources and
    // ports to the seeds'; then frames, each after a length byte.
    private static void Observer(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        byte selector = input[0];
        var table = new FlowTable(new FlowTableOptions { MaxFlows = ObserverMaxFlows }, new CaptureCounters());
        bool restricted = (selector & 16) != 0;
        var observer = new HandshakeObserver(
            table,
            TableFor(selector >> 2),
            restricted ? SeedLoadBalancers : TrustedSourceList.Everyone,
            restricted ? SeedServicePorts : [],
            stripOption: (selector & 8) != 0,
            FaultRaisingLogger.Instance);
        ReadOnlySpan<byte> rest = input[1..];
        while (!rest.IsEmpty)
        {
            int length = Math.Min(rest[0], rest.Length - 1);
            observer.OnFrame(rest.Slice(1, length).ToArray(), LinkTypes[selector & 3], mayModify: true);
            rest = rest[(1 + length)..];
        }

        Require(table.Count <= ObserverMaxFlows, "flow table grew past MaxFlows");
    }

    private static CidrRange Cidr(string text) =>
        CidrRange.TryParse(text, out CidrRange range, out string error) ? range : throw new ArgumentException(error, nameof(text));

    private static ToaOptionTable TableFor(int selector) => (selector & 1) == 0 ? ToaOptionTable.Default : ToaOptionTable.All;

    private static void Require(bool condition, string broken)
    {
        if (!condition)
        {
            throw new FuzzInvariantException(broken);
        }
    }
}
