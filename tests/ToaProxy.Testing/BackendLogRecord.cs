using System.Net;

namespace ToaProxy.Testing;

/// <summary>
/// One access-log line of a test backend, in the shared format
/// "pp client=ADDR:PORT server=ADDR:PORT key=value ...": the client and server endpoints the
/// backend took from the PROXY header (null when the backend logged none, e.g. "-" for LOCAL).
/// </summary>
public sealed record BackendLogRecord(IPEndPoint? Client, IPEndPoint? Server, IReadOnlyDictionary<string, string> Fields, string Line)
{
    public const string Marker = "pp ";

    public static BackendLogRecord? TryParse(string line)
    {
        int start = line.IndexOf(Marker, StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string token in line[(start + Marker.Length)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = token.IndexOf('=');
            if (equals > 0)
            {
                fields[token[..equals]] = token[(equals + 1)..];
            }
        }

        return new BackendLogRecord(Endpoint(fields, "client"), Endpoint(fields, "server"), fields, line);
    }

    public string? Field(string name) => Fields.TryGetValue(name, out string? value) ? value : null;

    /// <summary>"ADDR:PORT" with an unbracketed IPv6 address, as nginx and HAProxy log them.</summary>
    private static IPEndPoint? Endpoint(Dictionary<string, string> fields, string name)
    {
        if (!fields.TryGetValue(name, out string? text))
        {
            return null;
        }

        int colon = text.LastIndexOf(':');
        return colon > 0
            && IPAddress.TryParse(text.AsSpan(0, colon).Trim("[]"), out IPAddress? address)
            && ushort.TryParse(text.AsSpan(colon + 1), out ushort port)
            ? new IPEndPoint(address, port)
            : null;
    }
}
