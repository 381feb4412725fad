using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using ToaProxy.Capture;
using ToaProxy.Capture.AfPacket;
using ToaProxy.Capture.Flows;
using ToaProxy.Capture.Iptables;
using ToaProxy.Capture.Nfqueue;
using ToaProxy.Capture.Pcap;
using ToaProxy.Protocol;

namespace ToaProxy.Benchmarks;

/// <summary>
/// `synburst`: how many handshake packets per second each backend takes off loopback into the flow
/// table without a kernel drop. A raw socket sends SYNs carrying TOA 254/8, each from its own source
/// port, to a closed port on 127.0.0.1 (the kernel answers RST, no listener queue is involved), paced
/// at rising rates for one second each, then unpaced. Needs root. Not a BenchmarkDotNet benchmark:
/// the cost is in the kernel and a second thread, which BenchmarkDotNet cannot attribute.
/// On loopback the sending thread also runs the receive path (conntrack, TCP, the RST reply), which
/// limits the rate long before a packet-socket capture does; "afpacket+drop" and "pcap+drop" drop the
/// SYNs in raw PREROUTING, after the packet socket has its copy, to measure the capture nearer its limit.
/// </summary>
internal static class SynBurstMeasurement
{
    private const int DistinctSources = 60_000;
    private const int FirstSourcePort = 1024;
    private const int ChunkPackets = 32;
    private const string DropSuffix = "+drop";
    private static readonly int[] PacedRates = [20_000, 50_000, 100_000, 200_000, 400_000, 800_000];
    private static readonly TimeSpan StepDuration = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan DrainBound = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(string[] args)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Console.Error.WriteLine("synburst needs root (raw socket, AF_PACKET, NFQUEUE).");
            return 2;
        }

        string[] backends = args.Length > 0 ? args : ["afpacket", "pcap", "nfqueue", "afpacket" + DropSuffix, "pcap" + DropSuffix];
        ushort port = ClosedLoopbackPort();
        byte[][] syns = BuildSyns(port);
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Raw);
        var destination = new IPEndPoint(IPAddress.Loopback, 0).Serialize();

        Console.WriteLine($"SYN burst to 127.0.0.1:{port} (closed), TOA 254/8 on every SYN, {DistinctSources} distinct source ports, {Environment.ProcessorCount} CPUs");
        Console.WriteLine("| backend | target pps | sent | sent pps | seen by observer | kernel drops | seen per second sending | zero loss |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (string backendName in backends)
        {
            await MeasureAsync(backendName, port, syns, sender, destination);
        }

        return 0;
    }

    private static async Task MeasureAsync(string label, ushort port, byte[][] syns, Socket sender, SocketAddress destination)
    {
        bool dropAfterCapture = label.EndsWith(DropSuffix, StringComparison.Ordinal);
        string backendName = dropAfterCapture ? label[..^DropSuffix.Length] : label;
        if (dropAfterCapture && backendName == "nfqueue")
        {
            throw new ArgumentException("nfqueue+drop would drop the SYNs before they reach the INPUT queue.");
        }

        var counters = new CaptureCounters();
        var table = new FlowTable(new FlowTableOptions(), counters);
        var observer = new HandshakeObserver(table, ToaOptionTable.Default, TrustedSourceList.Everyone, [port], false, NullLogger.Instance);
        string tag = $"bench-synburst-{Environment.ProcessId}";
        var filter = new CaptureFilter([port]);
        ICaptureBackend backend = backendName switch
        {
            "afpacket" => new AfPacketCaptureBackend(new AfPacketCaptureOptions("lo", filter)),
            "pcap" => new PcapCaptureBackend(new PcapCaptureOptions("lo", filter)),
            "nfqueue" => new NfqueueCaptureBackend(new NfqueueCaptureOptions
            {
                QueueNumber = (ushort)(30_000 + (Environment.ProcessId % 1000)),
                RulePorts = [port],
                RuleTag = tag,
            }),
            _ => throw new ArgumentException($"unknown backend '{backendName}' (afpacket, pcap, nfqueue, afpacket+drop, pcap+drop)"),
        };

        using var dropRule = new IptablesRuleSet(tag);
        try
        {
            if (dropAfterCapture)
            {
                dropRule.Add(new IptablesRule(
                    IptablesFamily.IPv4, "raw", "PREROUTING", ["-i", "lo", "-p", "tcp", "--dport", port.ToString(CultureInfo.InvariantCulture)], ["-j", "DROP"]));
            }

            await backend.StartAsync(observer, CancellationToken.None);
            int next = 0;
            foreach (int rate in PacedRates.Append(0))
            {
                long seenBefore = Interlocked.Read(ref counters.Syns);
                long dropsBefore = backend.ReadStatistics().KernelDrops;
                var clock = Stopwatch.StartNew();
                long sent = 0;
                while (clock.Elapsed < StepDuration)
                {
                    for (int i = 0; i < ChunkPackets; i++)
                    {
                        sender.SendTo(syns[next], SocketFlags.None, destination);
                        next = (next + 1) % syns.Length;
                    }

                    sent += ChunkPackets;
                    Pace(clock, sent, rate);
                }

                TimeSpan sending = clock.Elapsed;
                using (var drainTimeout = new CancellationTokenSource(DrainBound))
                {
                    await backend.WaitForDrainAsync(drainTimeout.Token);
                }

                // NFQUEUE's barrier completes at once; its packets are all handed over once the count stops moving.
                long seen = await SettledAsync(() => Interlocked.Read(ref counters.Syns)) - seenBefore;
                long drops = backend.ReadStatistics().KernelDrops - dropsBefore;
                Console.WriteLine(
                    $"| {label} | {(rate == 0 ? "unpaced" : rate.ToString("N0"))} | {sent:N0} | {sent / sending.TotalSeconds:N0} | {seen:N0} | {drops:N0} | " +
                    $"{seen / sending.TotalSeconds:N0} | {(seen == sent && drops == 0 ? "yes" : "no")} |");
            }

            if (backend.Fault is { } fault)
            {
                Console.WriteLine($"{label} faulted: {fault.Message}");
            }
        }
        finally
        {
            await backend.DisposeAsync();
            IptablesRuleSet.RemoveAllTagged(tag);
        }
    }

    /// <summary>Sleeps or yields until <paramref name="sent"/> packets are due at <paramref name="rate"/> per second; 0 = unpaced.</summary>
    private static void Pace(Stopwatch clock, long sent, int rate)
    {
        if (rate == 0)
        {
            return;
        }

        TimeSpan due = TimeSpan.FromSeconds((double)sent / rate);
        while (clock.Elapsed < due)
        {
            if (due - clock.Elapsed > TimeSpan.FromMilliseconds(2))
            {
                Thread.Sleep(1);
            }
            else
            {
                Thread.Yield();
            }
        }
    }

    private static async Task<long> SettledAsync(Func<long> read)
    {
        long last = read();
        for (int i = 0; i < 100; i++)
        {
            await Task.Delay(50);
            long now = read();
            if (now == last)
            {
                return now;
            }

            last = now;
        }

        return last;
    }

    /// <summary>A port nothing listens on: bound, read, released.</summary>
    private static ushort ClosedLoopbackPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return (ushort)((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    /// <summary>SYNs 127.0.0.1:(1024..) -> 127.0.0.1:port with Linux's SYN options and TOA 254/8 for 203.0.113.x,
    /// correct TCP checksums (conntrack drops bad ones before NFQUEUE); the kernel fills the IP checksum.</summary>
    private static byte[][] BuildSyns(ushort port)
    {
        byte[] template = Convert.FromHexString(
            "4500004400004000400600007F0000017F000001" // IPv4, 68 bytes, DF, TCP, 127.0.0.1 -> 127.0.0.1
            + "000000000000000100000000C002FAF000000000" // ports (set below), seq 1, 48-byte header, SYN
            + "0204FFD704020" + "80A000000010000000001030307" // MSS 65495, SACK permitted, timestamps, NOP, WS 7
            + "FE08000000000000"); // TOA 254/8 (set below)
        var syns = new byte[DistinctSources][];
        for (int i = 0; i < DistinctSources; i++)
        {
            byte[] syn = (byte[])template.Clone();
            ushort sourcePort = (ushort)(FirstSourcePort + i);
            BinaryPrimitives.WriteUInt16BigEndian(syn.AsSpan(20), sourcePort);
            BinaryPrimitives.WriteUInt16BigEndian(syn.AsSpan(22), port);
            BinaryPrimitives.WriteUInt16BigEndian(syn.AsSpan(62), sourcePort);
            syn[64] = 203;
            syn[65] = 0;
            syn[66] = 113;
            syn[67] = (byte)(1 + (i % 250));
            if (!TcpChecksum.TryUpdate(syn))
            {
                throw new InvalidOperationException("SYN template does not parse");
            }

            syns[i] = syn;
        }

        return syns;
    }
}
