using ToaProxy.Configuration;

namespace ToaProxy.Diagnostics;

/// <summary>Whether this process holds the capability its capture backend needs: CAP_NET_RAW for
/// afpacket and pcap (packet sockets), CAP_NET_ADMIN for nfqueue (netlink queue and iptables).</summary>
public static class PrivilegeCheck
{
    private const string Name = "privileges";

    public static CheckResult Run(CaptureBackendKind backend, ProcessCapabilities? capabilities)
    {
        if (backend == CaptureBackendKind.None)
        {
            return CheckResult.Ok(Name, "backend none captures nothing and needs no privilege");
        }

        int needed = backend == CaptureBackendKind.Nfqueue ? ProcessCapabilities.NetAdmin : ProcessCapabilities.NetRaw;
        string capability = ProcessCapabilities.Name(needed);
        string who = Environment.IsPrivilegedProcess ? "running as root" : $"running as {Environment.UserName}";
        if (capabilities is not ProcessCapabilities caps)
        {
            return CheckResult.Warn(Name, $"{who}; /proc/self/status is unreadable, so {capability} cannot be checked", "mount /proc, or run the live capture check to see whether capture opens");
        }

        if (caps.Has(needed))
        {
            return CheckResult.Ok(Name, $"{who} with {capability} (needed by backend {backend.ToString().ToLowerInvariant()})");
        }

        string cap = capability.ToLowerInvariant();
        return CheckResult.Fail(
            Name,
            $"{who} without {capability}, which backend {backend.ToString().ToLowerInvariant()} needs",
            $"run as root, or grant only that capability: systemd AmbientCapabilities={capability}; a binary: setcap {cap}+ep /opt/toaproxy/toaproxy; " +
            $"Docker: --cap-add {capability[4..]}; Kubernetes: securityContext.capabilities.add [{capability[4..]}]");
    }
}
