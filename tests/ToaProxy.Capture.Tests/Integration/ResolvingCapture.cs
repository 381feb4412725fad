using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using ToaProxy.Capture.AfPacket;
using ToaProxy.Capture.Flows;
using ToaProxy.Capture.Iptables;
using ToaProxy.Capture.Nfqueue;
using ToaProxy.Capture.Pcap;
using ToaProxy.Protocol;
using ToaProxy.Testing;

namespace ToaProxy.Capture.Tests.Integration;

/// <summary>
/// One capture backend wired as the proxy wires it (CaptureService): backend → HandshakeObserver →
/// FlowTable, the table's drain barrier set to the backend's; resolves accepted sockets as the relay does.
/// </summary>
internal sealed class ResolvingCapture : IAsyncDisposable
{
    public const string AfPacket = "afpacket";
    public const string Pcap = "pcap";
    public const string Nfqueue = "nfqueue";

    private readonly string _ruleTag;

    private ResolvingCapture(ICaptureBackend backend, FlowTable table, string ruleTag)
    {
        Backend = backend;
        Table = table;
        _ruleTag = ruleTag;
    }

    public ICaptureBackend Backend { get; }

    public FlowTable Table { get; }

    public CaptureCounters Counters => Table.Counters;

    /// <summary>Captures the handshakes of connections to <paramref name="port"/> on lo (NFQUEUE: its own queue and tagged rules).</summary>
    public static async Task<ResolvingCapture> StartAsync(string backendName, ushort port, CancellationToken cancellationToken)
    {
        var table = new FlowTable(new FlowTableOptions(), new CaptureCounters());
        var observer = new HandshakeObserver(table, ToaOptionTable.Default, TrustedSourceList.Everyone, [port], stripOption: false, NullLogger.Instance);
        string tag = KernelIds.NewTag();
        var filter = new CaptureFilter([port]);
        ICaptureBackend backend = backendName switch
        {
            AfPacket => new AfPacketCaptureBackend(new AfPacketCaptureOptions("lo", filter)),
            Pcap => new PcapCaptureBackend(new PcapCaptureOptions("lo", filter)),
            Nfqueue => new NfqueueCaptureBackend(new NfqueueCaptureOptions { QueueNumber = KernelIds.NextQueue(), RulePorts = [port], RuleTag = tag }),
            _ => throw new ArgumentOutOfRangeException(nameof(backendName), backendName, "afpacket, pcap or nfqueue"),
        };
        try
        {
            await backend.StartAsync(observer, cancellationToken);
        }
        catch
        {
            await backend.DisposeAsync();
            IptablesRuleSet.RemoveAllTagged(tag);
            throw;
        }

        table.DrainBarrier = backend.WaitForDrainAsync;
        return new ResolvingCapture(backend, table, tag);
    }

    /// <summary>What the relay asks right after accept.</summary>
    public async Task<FlowResolution> ResolveAsync(Socket accepted, TimeSpan maxWait, CancellationToken cancellationToken) =>
        await Table.ResolveAsync(
            FlowKey.FromEndPoints((IPEndPoint)accepted.RemoteEndPoint!, (IPEndPoint)accepted.LocalEndPoint!), maxWait, waitForData: false, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        Table.DrainBarrier = null;
        try
        {
            await Backend.DisposeAsync();
        }
        finally
        {
            IptablesRuleSet.RemoveAllTagged(_ruleTag);
        }
    }
}
