using System.Net;
using System.Net.Sockets;
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
    /// <summary>Whether resolutions wait for the client's first data (WaitForData), which the relay then reports.</summary>
    public bool WaitsForData => settings.WaitForData;

    /// <summary>Resolves the connection from <paramref name="peer"/> to <paramref name="local"/>; false when the policy rejects it.</summary>
    /// <param name="dataReadable">See <see cref="WaitForFlowAsync"/>.</param>
    public async ValueTask<RealClientDecision> ResolveAsync(IPEndPoint peer, IPEndPoint local, long connectionId, Func<CancellationToken, Task>? dataReadable, CancellationToken cancellationToken)
    {
        FlowResolution resolution = await WaitForFlowAsync(peer, local, dataReadable, cancellationToken).ConfigureAwait(false);
        bool accepted = TryPlanHeader(resolution, peer, local, connectionId, out HeaderPlan plan);
        return new RealClientDecision(accepted, plan, resolution.Status);
    }

    /// <summary>Waits (up to ToaWait) for what the capture saw of the connection, and records the wait.</summary>
    /// <param name="dataReadable">
    /// With WaitForData: completes once the client's first data (or FIN) is readable on the connection,
    /// taking none of it; cancelled when the answer is there. The capture does not see a first data
    /// packet without options (the kernel filter keeps data from it), so this ends the wait instead.
    /// </param>
    public async ValueTask<FlowResolution> WaitForFlowAsync(IPEndPoint peer, IPEndPoint local, Func<CancellationToken, Task>? dataReadable, CancellationToken cancellationToken)
    {
        FlowKey key = FlowKey.FromEndPoints(peer, local);
        FlowResolution resolution;
        if (settings.WaitForData && dataReadable is not null)
        {
            using var resolved = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Task reporting = ReportClientDataAsync(key, dataReadable, resolved.Token);
            try
            {
                resolution = await flows.ResolveAsync(key, settings.ToaWait, waitForData: true, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await resolved.CancelAsync().ConfigureAwait(false);
                await reporting.ConfigureAwait(false);
            }
        }
        else
        {
            resolution = await flows.ResolveAsync(key, settings.ToaWait, settings.WaitForData, cancellationToken).ConfigureAwait(false);
        }

        metrics.RecordToaWait(resolution, settings.Name);
        return resolution;
    }

    /// <summary>
    /// The client's first data (or FIN) is readable on the accepted connection: with WaitForData, a
    /// resolution still waiting for it is answered once the capture has caught up (see
    /// <see cref="FlowTable.ClientDataArrivedAsync"/>). For relays that watch the socket themselves;
    /// returns at once and never throws.
    /// </summary>
    public void ReportClientData(IPEndPoint peer, IPEndPoint local, CancellationToken cancellationToken)
    {
        ValueTask reported = flows.ClientDataArrivedAsync(FlowKey.FromEndPoints(peer, local), settings.ToaWait, cancellationToken);
        if (!reported.IsCompletedSuccessfully)
        {
            _ = ObserveAsync(reported);
        }

        static async Task ObserveAsync(ValueTask reported)
        {
            try
            {
                await reported.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Shutting down: the resolution is cancelled with it.
            }
        }
    }

    private async Task ReportClientDataAsync(FlowKey key, Func<CancellationToken, Task> dataReadable, CancellationToken cancellationToken)
    {
        try
        {
            await dataReadable(cancellationToken).ConfigureAwait(false);
            await flows.ClientDataArrivedAsync(key, settings.ToaWait, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Answered without it, or shutting down.
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            // The client failed; relaying its connection finds that out for itself.
        }
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
