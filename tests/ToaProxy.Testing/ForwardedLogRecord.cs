namespace ToaProxy.Testing;

/// <summary>
/// One access-log line of a plain-HTTP test backend: the X-Forwarded-*, Forwarded and X-Real-IP
/// headers it received ("" when absent), fields separated by "|" as the values contain spaces.
/// </summary>
public sealed record ForwardedLogRecord(string ForwardedFor, string ForwardedProto, string ForwardedHost, string Forwarded, string RealIp, string Line)
{
    public const string Marker = "fw|";

    /// <summary>The nginx log_format producing these lines.</summary>
    public const string Format = Marker + "xff=$http_x_forwarded_for|xfp=$http_x_forwarded_proto|xfh=$http_x_forwarded_host|fwd=$http_forwarded|xri=$http_x_real_ip|end";

    public static ForwardedLogRecord? TryParse(string line)
    {
        int start = line.IndexOf(Marker, StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string token in line[(start + Marker.Length)..].Split('|'))
        {
            int equals = token.IndexOf('=');
            if (equals > 0)
            {
                // nginx logs an absent header as "-" and escapes '"' as \x22.
                string value = token[(equals + 1)..].Replace("\\x22", "\"", StringComparison.Ordinal);
                fields[token[..equals]] = value == "-" ? string.Empty : value;
            }
        }

        string Get(string name) => fields.GetValueOrDefault(name, string.Empty);
        return new ForwardedLogRecord(Get("xff"), Get("xfp"), Get("xfh"), Get("fwd"), Get("xri"), line);
    }

    /// <summary>The port of the Forwarded header's last for= node ("for=\"[addr]:port\""), or null.</summary>
    public int? ForwardedForPort
    {
        get
        {
            int at = Forwarded.LastIndexOf("for=", StringComparison.Ordinal);
            if (at < 0)
            {
                return null;
            }

            string node = Forwarded[(at + 4)..].Split(';', ',')[0].Trim('"');
            int colon = node.LastIndexOf(':');
            return colon > 0 && int.TryParse(node.AsSpan(colon + 1), out int port) ? port : null;
        }
    }
}
