using System.Globalization;

namespace ToaProxy.Diagnostics;

/// <summary>The effective capability set of this process (CapEff in /proc/self/status).</summary>
public readonly record struct ProcessCapabilities(ulong Effective)
{
    public const int NetAdmin = 12;
    public const int NetRaw = 13;

    public bool Has(int capability) => (Effective & (1UL << capability)) != 0;

    /// <summary>Reads CapEff; null when /proc is not available.</summary>
    public static ProcessCapabilities? ReadCurrent(string statusPath = "/proc/self/status")
    {
        try
        {
            foreach (string line in File.ReadLines(statusPath))
            {
                if (line.StartsWith("CapEff:", StringComparison.Ordinal)
                    && ulong.TryParse(line.AsSpan(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong mask))
                {
                    return new ProcessCapabilities(mask);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return null;
    }

    public static string Name(int capability) => capability switch
    {
        NetAdmin => "CAP_NET_ADMIN",
        NetRaw => "CAP_NET_RAW",
        _ => $"capability {capability}",
    };
}
