using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ToaProxy.HttpMode;

/// <summary>
/// One RFC 7239 forwarded-element, e.g. <c>for="[2001:db8::1]:4711";host=example.com;proto=http</c>.
/// A node with a port, and every IPv6 node, is a quoted-string (":" and "[" are not token characters).
/// </summary>
public static class ForwardedElement
{
    public static string Format(IPEndPoint? client, string host, string proto)
    {
        var element = new StringBuilder();
        if (client is not null)
        {
            string node = client.AddressFamily == AddressFamily.InterNetworkV6
                ? $"[{client.Address}]:{client.Port}"
                : $"{client.Address}:{client.Port}";
            element.Append("for=").Append(Quote(node)).Append(';');
        }

        if (host.Length > 0)
        {
            element.Append("host=").Append(IsToken(host) ? host : Quote(host)).Append(';');
        }

        element.Append("proto=").Append(IsToken(proto) ? proto : Quote(proto));
        return element.ToString();
    }

    private static string Quote(string value) => $"\"{value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"";

    // RFC 7230 tchar.
    private static bool IsToken(string value)
    {
        foreach (char c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c)))
            {
                return false;
            }
        }

        return value.Length > 0;
    }
}
