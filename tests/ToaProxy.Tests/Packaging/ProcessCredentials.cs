using System.Globalization;

namespace ToaProxy.Tests.Packaging;

/// <summary>A running process's effective uid and effective capability set, from /proc/PID/status.</summary>
internal static class ProcessCredentials
{
    public static (int Uid, ulong Effective) Read(int pid)
    {
        string[] status = File.ReadAllLines($"/proc/{pid}/status");
        int uid = int.Parse(status.First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[2], CultureInfo.InvariantCulture);
        ulong effective = ulong.Parse(status.First(l => l.StartsWith("CapEff:", StringComparison.Ordinal))[7..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return (uid, effective);
    }
}
