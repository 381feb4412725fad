using BenchmarkDotNet.Attributes;
using ToaProxy.Protocol;

namespace ToaProxy.Benchmarks;

/// <summary>
/// The per-packet work of the capture stage: find the TCP segment in a captured frame, then scan
/// its options for TOA; and the NFQUEUE path's in-place strip. All must allocate 0 B.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class ToaFrameDecodeBenchmarks
{
    // Frames written out as bytes so the benchmark does not depend on a test builder:
    // an Ethernet IPv4 SYN with Linux's options then 254/8; an SLL2 IPv6 ACK with timestamps then
    // 253/20; an Ethernet IPv4 data packet (100 bytes) without TOA; a raw IPv4 ACK with 254/8.
    private static readonly byte[] EthernetIPv4Syn = Convert.FromHexString(
        "0200000000020200000000010800450000440001400040060000CB0071090A0000059C4001BB0000000100000002C002FAF000000000020405B40402080A000000010000000001030307FE083039C6336407");

    private static readonly byte[] LinuxSll2IPv6Ack = Convert.FromHexString(
        "86DD000000000003000100060200000000010000600000000034064020010DB800000000000000000000000920010DB80000000000000000000000059C4001BB0000000100000002D010FAF0000000000101080A0000000100000002FD14303920010DB8000000000000000000000007");

    private static readonly byte[] EthernetIPv4DataNoToa = Convert.FromHexString(
        "0200000000020200000000010800450000980001400040060000CB0071090A0000059C4001BB00000001000000028018FAF0000000000101080A0000000100000002" + string.Concat(Enumerable.Repeat("AB", 100)));

    private static readonly byte[] RawIPv4AckWithToa = Convert.FromHexString(
        "4500003C0001400040060000CB0071090A0000059C4001BB0000000100000002A010FAF0000000000101080A0000000100000002FE083039C6336407");

    private readonly ToaOption[] _found = new ToaOption[4];
    private readonly byte[] _stripBuffer = new byte[RawIPv4AckWithToa.Length];

    [Benchmark(Baseline = true)]
    public int EthernetIPv4SynWithToa() => ReadAndScan(EthernetIPv4Syn, LinkType.Ethernet);

    [Benchmark]
    public int LinuxSll2IPv6AckWithToa() => ReadAndScan(LinuxSll2IPv6Ack, LinkType.LinuxSll2);

    [Benchmark]
    public int EthernetIPv4DataWithoutToa() => ReadAndScan(EthernetIPv4DataNoToa, LinkType.Ethernet);

    /// <summary>Includes copying the 60-byte packet back, since stripping changes it.</summary>
    [Benchmark]
    public bool StripRawIPv4Ack()
    {
        RawIPv4AckWithToa.CopyTo(_stripBuffer, 0);
        return ToaOptionStripper.Strip(_stripBuffer, ToaOptionTable.Default);
    }

    private int ReadAndScan(byte[] frame, LinkType linkType)
    {
        if (TcpFrameReader.TryRead(frame, linkType, out TcpSegment segment) != FrameParseStatus.Ok)
        {
            return -1;
        }

        ToaScanResult result = ToaDecoder.Scan(segment.Options, ToaOptionTable.Default, _found);
        return result.Count == 0 ? 0 : _found[0].ClientPort;
    }
}
