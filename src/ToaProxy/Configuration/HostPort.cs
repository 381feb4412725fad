using System.Globalization;
using System.Net;

namespace ToaProxy.Configuration;

/// <summary>"host:port", "ip:port" or "[ipv6]:port" as written in the config.</summary>
public readonly record struct HostPort(string Host, int Port)
{
    public IPAddress? Address => IPAddress.TryParse(Host, out IPAddress? a) ? a : null;

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="error"/> says what is wrong with it.</summary>
    public static bool TryParse(string? text, out HostPort value, out string error)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "is empty (expected \"host:port\")";
            return false;
        }

        string s = text.Trim();
        string host;
        string portText;
        if (s.StartsWith('['))
        {
            int close = s.IndexOf(']');
            if (close < 0 || close + 1 >= s.Length || s[close + 1] != ':')
            {
                error = close < 0 ? "has no closing ']'" : "has no port";
                return false;
            }

            host = s[1..close];
            portText = s[(close + 2)..];
            if (!IPAddress.TryParse(host, out IPAddress? v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                error = $"has \"{host}\" in brackets, which is not an IPv6 address";
                return false;
            }
        }
        else
        {
            int colon = s.LastIndexOf(':');
            if (colon < 0)
            {
                error = "has no port";
                return false;
            }

            if (s.IndexOf(':') != colon)
            {
                error = "looks like an IPv6 address without brackets (write \"[addr]:port\")";
                return false;
            }

            host = s[..colon];
            portText = s[(colon + 1)..];
        }

        if (host.Length == 0)
        {
            error = "has no host";
            return false;
        }

        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
        {
            error = $"has port \"{portText}\", not a number from 1 to 65535";
            return false;
        }

        value = new HostPort(host, port);
        error = string.Empty;
        return true;
    }

    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
