using Xunit;

namespace ToaProxy.Testing;

/// <summary>
/// Environment requirements of tests that use the real kernel, real nginx/HAProxy or iptables.
/// On a developer laptop an unmet requirement skips the test with the reason; under CI=true it
/// fails it, because CI must exercise the real path.
/// </summary>
public static class Requires
{
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static bool IsRoot => Environment.IsPrivilegedProcess;

    /// <summary>Root (CAP_NET_ADMIN/CAP_NET_RAW): raw sockets, NFQUEUE, iptables, netns.</summary>
    public static void Root()
    {
        if (!OperatingSystem.IsLinux())
        {
            Unmet("needs Linux");
        }

        if (!IsRoot)
        {
            Unmet("needs root (raw sockets, NFQUEUE, iptables)");
        }
    }

    /// <summary>An executable on PATH, e.g. nginx, haproxy, iptables, ip.</summary>
    public static string Command(string name)
    {
        string? path = FindOnPath(name);
        if (path is null)
        {
            Unmet($"needs '{name}' on PATH (scripts/install-deps.sh installs it)");
        }

        return path!;
    }

    public static string? FindOnPath(string name)
    {
        string[] dirs = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries);
        foreach (string dir in dirs.Concat(["/usr/sbin", "/sbin", "/usr/bin"]))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    public static void Unmet(string reason)
    {
        if (IsCi)
        {
            Assert.Fail($"CI=true requires the real path, but this test {reason}.");
        }

        Skip.If(true, reason);
    }
}
