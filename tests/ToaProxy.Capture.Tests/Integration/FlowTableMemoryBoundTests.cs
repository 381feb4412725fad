using System.Buffers.Binary;
using Microsoft.Extensions.Logging.Abstractions;
using ToaProxy.Capture.Flows;
using ToaProxy.Protocol;
using Xunit.Abstractions;

namespace ToaProxy.Capture.Tests.Integration;

/// <summary>
/// A SYN flood with spoofed tuples and TOA (what any client can send when trust is not configured)
/// must not grow the proxy: the table stays at MaxFlows by evicting, the heap stops growing once the
/// table is full, and the per-packet path allocates nothing.
/// </summary>
[Collection(MeasurementCollection.Name)]
public sealed class FlowTableMemoryBoundTests(ITestOutputHelper output)
{
    private const int MaxFlows = 10_000;
    private const int Frames = 200_000;
    private const int WarmFrames = 50_000;
    private const int AllocationWindow = 10_000;
    private const ushort ServicePort = 8080;
    private const int Ipv4HeaderLength = 20;

    [Fact]
    public void Two_hundred_thousand_spoofed_syns_with_toa_stay_within_max_flows_bounded_memory_and_zero_allocations()
    {
        var counters = new CaptureCounters();
        var table = new FlowTable(new FlowTableOptions { MaxFlows = MaxFlows, FlowTimeout = TimeSpan.FromMinutes(10) }, counters);
        var observer = new HandshakeObserver(table, ToaOptionTable.Default, TrustedSourceList.Everyone, [ServicePort], false, NullLogger.Instance);
        byte[] frame = CraftedFrame.Tcp(
            "198.51.100.1", 1024, "198.51.100.200", ServicePort, TcpFlags.Syn, [.. TestPackets.LinuxSynOptions, .. CraftedFrame.ToaV4(254, 1, "203.0.113.1")]);
        int toaOffset = frame.Length - 8;

        long heapWhenFull = 0;
        long allocationStart = 0;
        long allocated = 0;
        for (int i = 0; i < Frames; i++)
        {
            Spoof(frame, toaOffset, i);
            observer.OnFrame(frame, LinkType.RawIp, mayModify: false);
            if (i + 1 == WarmFrames)
            {
                heapWhenFull = GC.GetTotalMemory(forceFullCollection: true);
                allocationStart = GC.GetAllocatedBytesForCurrentThread();
            }
            else if (i + 1 == WarmFrames + AllocationWindow)
            {
                allocated = GC.GetAllocatedBytesForCurrentThread() - allocationStart;
            }
        }

        long heapAtEnd = GC.GetTotalMemory(forceFullCollection: true);
        output.WriteLine($"heap at frame {WarmFrames}: {heapWhenFull} B, at {Frames}: {heapAtEnd} B; {allocated} B allocated over {AllocationWindow} frames");

        Assert.Equal(MaxFlows, table.Count);
        Assert.Equal(Frames, counters.Syns);
        Assert.Equal(Frames, counters.ToaRecorded);
        Assert.Equal(Frames - MaxFlows, counters.Evicted);
        Assert.Equal(0, counters.NotParseable);

        // The table's arrays reached full size before 50k frames; 150k more frames add nothing but noise.
        Assert.True(heapAtEnd - heapWhenFull < 1 << 20, $"heap grew from {heapWhenFull} to {heapAtEnd} bytes between frame {WarmFrames} and {Frames}");
        Assert.True(allocated < 1024, $"{allocated} bytes allocated over {AllocationWindow} frames in steady state");
    }

    /// <summary>Frame i: source 198.51.100.(1..4):(1024..61023), TOA client 203.0.113.(1..250):(1..60000); all
    /// distinct. Client ports stay below 0xF989, which a kind-254 option shares with a TCP Fast Open cookie's magic.
    /// The observer does not verify checksums, so none are updated.</summary>
    private static void Spoof(Span<byte> frame, int toaOffset, int i)
    {
        frame[15] = (byte)(1 + (i / 60_000));
        BinaryPrimitives.WriteUInt16BigEndian(frame[Ipv4HeaderLength..], (ushort)(1024 + (i % 60_000)));
        BinaryPrimitives.WriteUInt16BigEndian(frame[(toaOffset + 2)..], (ushort)(1 + (i % 60_000)));
        frame[toaOffset + 7] = (byte)(1 + (i % 250));
    }
}
