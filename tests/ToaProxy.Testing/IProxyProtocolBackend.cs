using System.Net;

namespace ToaProxy.Testing;

/// <summary>A real server that requires a PROXY header on every connection, listens on
/// 127.0.0.1 and ::1 at <see cref="Port"/>, answers HTTP GET with <see cref="Body"/> and logs
/// what the header said as <see cref="BackendLogRecord"/>s.</summary>
public interface IProxyProtocolBackend : IDisposable
{
    string Name { get; }

    int Port { get; }

    IPEndPoint IPv4EndPoint { get; }

    IPEndPoint IPv6EndPoint { get; }

    string Body { get; }

    IReadOnlyList<BackendLogRecord> Records();

    /// <summary>The first record matching <paramref name="predicate"/> within <paramref name="timeout"/>, else null.</summary>
    BackendLogRecord? WaitForRecord(Func<BackendLogRecord, bool> predicate, TimeSpan timeout);

    /// <summary>Logs and process output, for assertion messages.</summary>
    string Describe();
}
