using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using ToaProxy.Capture;
using ToaProxy.Capture.Flows;
using ToaProxy.Protocol;

namespace ToaProxy.Benchmarks;

/// <summary>
/// The capture stage's per-packet cost as every backend pays it (HandshakeObserver.OnFrame: parse,
/// TOA decode, trust check, flow table insert), and the relay's lookup of a present record.
/// All must allocate 0 B.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class HandshakeObserverBenchmarks
{
    private const ushort ServicePort = 443;
    private const int SourceAddressLastByte = 15;
    private const int SourcePortOffset = 20;

    // A raw IPv4 SYN 203.0.113.9:40000 -> 10.0.0.5:443 with Linux's SYN options then TOA 254/8 (198.51.100.7:12345).
    private static readonly byte[] RawIPv4SynWithToa = Convert.FromHexString(
        "450000440001400040060000CB0071090A0000059C4001BB0000000100000002C002FAF000000000020405B40402080A000000010000000001030307FE083039C6336407");

    private readonly byte[] _spoofedSyn = (byte[])RawIPv4SynWithToa.Clone();
    private FlowTable _table = null!;
    private HandshakeObserver _observer = null!;
    private FlowKey _key;
    private ToaClient _client;
    private int _nextTuple;

    [GlobalSetup]
    public void Setup()
    {
        // Small enough that the spoofed-tuple benchmark runs at MaxFlows, evicting one record per packet.
        _table = new FlowTable(new FlowTableOptions { MaxFlows = 10_000, FlowTimeout = TimeSpan.FromHours(1) }, new CaptureCounters());
        _observer = new HandshakeObserver(_table, ToaOptionTable.Default, TrustedSourceList.Everyone, [ServicePort], false, NullLogger.Instance);
        TcpFrameReader.TryRead(RawIPv4SynWithToa, LinkType.RawIp, out TcpSegment segment);
        _key = segment.ToReceiverKey();
        var found = new ToaOption[1];
        ToaDecoder.Scan(segment.Options, ToaOptionTable.Default, found);
        ToaClient.TryMerge(found, out _client);
    }

    /// <summary>The same tuple each time: the SYN replaces its own record (remove + insert).</summary>
    [Benchmark(Baseline = true)]
    public bool SynWithToaSameTuple() => _observer.OnFrame(RawIPv4SynWithToa, LinkType.RawIp, mayModify: false);

    /// <summary>A new tuple each time with the table full: insert plus eviction of the oldest record (a spoofed SYN flood).</summary>
    [Benchmark]
    public bool SynWithToaNewTupleAtMaxFlows()
    {
        int tuple = _nextTuple++;
        BinaryPrimitives.WriteUInt16BigEndian(_spoofedSyn.AsSpan(SourcePortOffset), (ushort)tuple);
        _spoofedSyn[SourceAddressLastByte] = (byte)(tuple >> 16);
        return _observer.OnFrame(_spoofedSyn, LinkType.RawIp, mayModify: false);
    }

    /// <summary>Only the table insert of a decoded SYN, to subtract from <see cref="ObserveThenResolveFound"/>.</summary>
    [Benchmark]
    public void ObserveDecodedSyn() => _table.Observe(_key, SegmentRole.Syn, true, _client);

    /// <summary>Insert, then what the relay does after accept: a lookup that finds TOA (no barrier, no wait).</summary>
    [Benchmark]
    public FlowResolutionStatus ObserveThenResolveFound()
    {
        _table.Observe(_key, SegmentRole.Syn, true, _client);
        ValueTask<FlowResolution> answer = _table.ResolveAsync(_key, TimeSpan.FromSeconds(1), waitForData: false, CancellationToken.None);
        return answer.IsCompletedSuccessfully ? answer.Result.Status : FlowResolutionStatus.Unknown;
    }
}
