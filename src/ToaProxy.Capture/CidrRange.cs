using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ToaProxy.Protocol;

namespace ToaProxy.Capture;

/// <summary>An IPv4 or IPv6 network ("10.0.0.0/8", "2001:db8::/32", or a bare address for /32 or /128).</summary>
public readonly record struct CidrRange(NetAddress Network, int PrefixLength, bool IsIPv4)
{
    /// <summary>Prefix length on the 128-bit IPv4-mapped form in which <see cref="NetAddress"/> holds IPv4.</summary>
    private int MappedPrefixLength => IsIPv4 ? PrefixLength + 96 : PrefixLength;

    public bool Contains(NetAddress address) =>
        IsIPv4 == address.IsIPv4 && address.IsInPrefix(Network, MappedPrefixLength);

    public static bool TryParse(string? text, out CidrRange range, out string error)
    {
        range = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "is empty (expected a CIDR such as 10.0.0.0/8)";
            return false;
        }

        string s = text.Trim();
        int slash = s.IndexOf('/');
        string addressText = slash < 0 ? s : s[..slash];
        if (!IPAddress.TryParse(addressText, out IPAddress? address))
        {
            error = $"has \"{addressText}\", which is not an IP address";
            return false;
        }

        bool v4 = address.AddressFamily == AddressFamily.InterNetwork;
        int max = v4 ? 32 : 128;
        int prefix = max;
        if (slash >= 0 && (!int.TryParse(s[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > max))
        {
            error = $"has prefix length \"{s[(slash + 1)..]}\", not a number from 0 to {max}";
            return false;
        }

        range = new CidrRange(NetAddress.FromIPAddress(address), prefix, v4);
        error = string.Empty;
        return true;
    }

    public override string ToString() => $"{Network}/{PrefixLength}";
}
