using System.Net;
using ToaProxy.Capture.Flows;
using ToaProxy.Configuration;
using ToaProxy.Metrics;
using ToaProxy.Protocol;

namespace ToaProxy.Relay;

/// <summary>
/// Decides who the real client of an accepted connection is: waits (up to ToaWait) for the capture's
/// TOA, then applies the listener's WithoutToa policy. Shared by the TCP relay and HTTP mode so both
/// name the same client for the same connection.
/// </summary>
public sealed class RealClientResolver(ListenerSettings settings, FlowTable flows, ToaProxyMetrics metrics, ListenerCounters counters)
{
    /// <summary>Resolves the connection from <paramref name="peer"/> to <paramref name="local"/>; false when the policy rejects it.</summary>
    public async ValueTask<RealClientDecision> ResolveAsync(IPEndPoint peer, IPEndPoint local, long connectionId, CancellationToken cancellationToken)
    {
        FlowResolution resolution = await WaitForFlowAsync(peer, local, cancellationToken).ConfigureAwait(false);
        bool accepted = TryPlanHeader(resolution, peer, local, connectionId, out HeaderPlan plan);
        return new RealClientDecision(accepted, plan, resolution.Status);
    }

    /// <summary>Waits (up to ToaWait) for what the capture saw of the connection, and records the wait.</summary>
    public async ValueTask<FlowResolution> WaitForFlowAsync(IPEndPoint peer, IPEndPoint local, CancellationToken cancellationToken)
    {
        FlowResolution resolution = await flows.ResolveAsync(
            FlowKey.FromEndPoints(peer, local), settings.ToaWait, settings.WaitForData, cancellationToken).ConfigureAwait(false);
        metrics.RecordToaWait(resolution, settings.Name);
        return resolution;
    }

    /// <summary>The PROXY header to send for <paramref name="resolution"/> under the WithoutToa policy; false when the policy rejects.</summary>
    public bool TryPlanHeader(in FlowResolution resolution, IPEndPoint peer, IPEndPoint local, long id, out HeaderPlan plan)
    {
        NetAddress localAddress = NetAddress.FromIPAddress(local.Address);
        if (resolution.IsFound)
        {
            ToaClient c = resolution.Client;
            bool useVip = settings.Destination == DestinationMode.Vip && c.HasVip;
            Interlocked.Increment(ref counters.WithToa);
            plan = new HeaderPlan(
                false, c.Address, c.Port,
                useVip ? c.Vip : localAddress, useVip ? c.VipPort : (ushort)local.Port,
                c.HasVpcId, c.VpcId, id);
            return true;
        }

        switch (settings.WithoutToa)
        {
            case WithoutToaPolicy.Peer:
                Interlocked.Increment(ref counters.WithoutToaPeer);
                plan = new HeaderPlan(false, NetAddress.FromIPAddress(peer.Address), (ushort)peer.Port, localAddress, (ushort)local.Port, false, 0, id);
                return true;
            case WithoutToaPolicy.Local:
                Interlocked.Increment(ref counters.WithoutToaLocal);
                plan = HeaderPlan.Local(id);
                return true;
            default:
                Interlocked.Increment(ref counters.RejectedWithoutToa);
                plan = default;
                return false;
        }
    }
}
