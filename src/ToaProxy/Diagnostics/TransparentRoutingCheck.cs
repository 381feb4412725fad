using System.Net.Sockets;
using ToaProxy.Capture.Iptables;
using ToaProxy.Configuration;
using ToaProxy.Transparent;

namespace ToaProxy.Diagnostics;

/// <summary>
/// For transparent listeners: whether this process may open transparent sockets (IP_TRANSPARENT
/// needs CAP_NET_ADMIN), and whether the reply routing is in place — without it the backend's
/// replies to client addresses leave the host instead of reaching the proxy.
/// </summary>
public static class TransparentRoutingCheck
{
    private const string Name = "transparent";
    private const int PartsPerFamily = 5;

    public static async Task<CheckResult> RunAsync(ProxySettings settings)
    {
        TransparentSettings t = settings.Transparent;
        IReadOnlyList<AddressFamily> families = TransparentRouting.FamiliesOf(settings);
        foreach (AddressFamily family in families)
        {
            try
            {
                TransparentUpstreamSocket.Probe(family, t.SocketMark);
            }
            catch (SocketException e)
            {
                return CheckResult.Fail(Name, $"cannot open a transparent {FamilyName(family)} socket bound to a client address ({e.SocketErrorCode}: {e.Message})",
                    "IP_TRANSPARENT and SO_MARK need CAP_NET_ADMIN: run as root, systemd AmbientCapabilities=CAP_NET_ADMIN, Docker --cap-add NET_ADMIN, Kubernetes capabilities.add [NET_ADMIN]");
            }
        }

        IReadOnlyList<string> missing;
        try
        {
            missing = await TransparentRouting.FindMissingAsync(t, families).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or IptablesException && e.InnerException is TimeoutException)
        {
            // A stalled query fails this check within TransparentRouting.QueryTimeout instead of holding up doctor.
            return CheckResult.Fail(Name, $"cannot read the reply routing: {e.Message}",
                "find what holds that command up (another ip/iptables run, the xtables lock, a busy kernel: ps, dmesg), then run doctor again");
        }
        catch (Exception e) when (e is InvalidOperationException or IptablesException)
        {
            return CheckResult.Warn(Name, $"cannot read the reply routing: {e.Message}", "install iproute2 and iptables, and run doctor with CAP_NET_ADMIN");
        }

        string names = string.Join(" and ", families.Select(FamilyName));
        string routing = $"fwmark 0x{t.ReplyMark:x} -> table {t.Table} (local default dev lo), rule priority {t.RulePriority}";
        int total = families.Count * PartsPerFamily;
        if (missing.Count == 0)
        {
            return CheckResult.Ok(Name, $"transparent sockets open; reply routing for {names} in place: {routing}, mangle rules marking the backend's replies");
        }

        if (t.ManageRules && missing.Count == total)
        {
            return CheckResult.Ok(Name, $"transparent sockets open; reply routing for {names} is not installed now: toaproxy installs it at start and removes it at stop (Transparent:ManageRules)");
        }

        string fix = $"add what is missing: {string.Join("; ", missing)}";
        return t.ManageRules
            ? CheckResult.Warn(Name, $"reply routing for {names} is incomplete ({missing.Count} of {total} parts missing) although toaproxy manages it", $"restart toaproxy to reinstall it, or {fix}")
            : CheckResult.Fail(Name, $"reply routing for {names} is missing {missing.Count} of {total} parts (Transparent:ManageRules is false): the backend's replies would not come back to the proxy", fix);
    }

    private static string FamilyName(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";
}
