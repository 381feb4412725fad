using ToaProxy.Capture;
using ToaProxy.Capture.AfPacket;
using ToaProxy.Configuration;

namespace ToaProxy.Diagnostics;

/// <summary>
/// Captures for a few seconds with AF_PACKET on the listeners' ports (the proxy need not run) and
/// reports how many SYNs arrived and how many carried TOA — the live answer to "is the load balancer
/// inserting TOA, and from an address we trust?".
/// </summary>
public static class LiveCaptureCheck
{
    private const string Name = "capture";

    public static async Task<CheckResult> RunAsync(ProxySettings settings, TimeSpan duration, CancellationToken cancellationToken)
    {
        ushort[] ports = [.. settings.Listeners.Select(l => (ushort)l.Listen.Port).Distinct()];
        string where = $"{duration.TotalSeconds:0.#}s on interface '{settings.Capture.Interface}', port {string.Join(",", ports)}";
        var tally = new LiveToaTally(settings.Capture.OptionTable, settings.Capture.TrustedSources, ports);
        var capture = new AfPacketCaptureBackend(new AfPacketCaptureOptions(settings.Capture.Interface, new CaptureFilter(ports)));
        await using (capture.ConfigureAwait(false))
        {
            try
            {
                await capture.StartAsync(tally, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                return CheckResult.Fail(Name, $"cannot capture: {e.Message}", "grant CAP_NET_RAW (see the privileges line) and check Capture:Interface against: ip -br link");
            }

            await Task.Delay(duration, cancellationToken).ConfigureAwait(false);
            await capture.StopAsync(cancellationToken).ConfigureAwait(false);
        }

        string kinds = string.Join(", ", tally.Kinds.Select(k => $"kind {k.Key}: {k.Value}"));
        string counts = $"{tally.Syns} SYNs, {tally.SynsWithToa} carried TOA{(kinds.Length > 0 ? $" ({kinds})" : string.Empty)}, " +
            $"{tally.LaterPacketsWithToa} ACK/data packets carried TOA, {tally.Untrusted} untrusted, {tally.Malformed} malformed";
        if (tally.Syns == 0)
        {
            return CheckResult.Warn(Name, $"{where}: no connection arrived",
                $"send traffic through the load balancer while doctor runs, raise --capture-seconds, or test locally: toaproxy emulate --port {ports[0]} --duration 30s");
        }

        if (tally.SynsWithToa + tally.LaterPacketsWithToa > 0)
        {
            return CheckResult.Ok(Name, $"{where}: {counts}");
        }

        if (tally.Untrusted > 0)
        {
            return CheckResult.Warn(Name, $"{where}: {counts}; TOA came from {string.Join(", ", tally.UntrustedSources)}, outside Capture:TrustedSources",
                "add your load balancers' SNAT range to Capture:TrustedSources (only if those addresses really are your load balancers)");
        }

        if (tally.Malformed > 0)
        {
            return CheckResult.Warn(Name, $"{where}: {counts}",
                $"record a capture (tcpdump -i any -U -w toa.pcap 'tcp port {ports[0]}') and run: toaproxy inspect toa.pcap, to see the kind and length at fault; add a Capture:Options entry if it is a layout you use");
        }

        return CheckResult.Warn(Name, $"{where}: {counts}",
            "the connections carried no TOA: switch TOA on at the load balancer (some clouds only insert it for FULLNAT/SNAT listeners), or the traffic does not pass through it");
    }
}
