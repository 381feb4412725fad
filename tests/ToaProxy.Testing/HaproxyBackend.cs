using System.Net;

namespace ToaProxy.Testing;

/// <summary>
/// A real HAProxy in the foreground (-db) with "bind ... accept-proxy" on 127.0.0.1:Port and
/// [::1]:Port, answering GET with <see cref="Body"/> and logging %ci:%cp, %fi:%fp, the
/// UNIQUE_ID and AUTHORITY TLVs to stdout ("log stdout format raw"), which is captured here.
/// HAProxy verifies a CRC32C TLV and drops the connection when it does not match.
/// </summary>
public sealed class HaproxyBackend : IProxyProtocolBackend
{
    public const string DefaultBody = "toaproxy-haproxy-ok";

    private const int StartAttempts = 3;
    private static readonly TimeSpan DefaultStartTimeout = TimeSpan.FromSeconds(10);

    private readonly ExternalProcess _process;
    private readonly DirectoryInfo _directory;

    private HaproxyBackend(ExternalProcess process, DirectoryInfo directory, int port, string body, HaproxyMode mode)
    {
        _process = process;
        _directory = directory;
        Port = port;
        Body = body;
        Mode = mode;
    }

    public string Name => $"haproxy ({Mode})";

    public HaproxyMode Mode { get; }

    public int Port { get; }

    public IPEndPoint IPv4EndPoint => new(IPAddress.Loopback, Port);

    public IPEndPoint IPv6EndPoint => new(IPAddress.IPv6Loopback, Port);

    public string Body { get; }

    public string ConfigPath => Path.Combine(_directory.FullName, "haproxy.cfg");

    /// <summary>Starts HAProxy and waits until both listeners accept; retries on a port taken meanwhile.</summary>
    public static HaproxyBackend Start(HaproxyMode mode = HaproxyMode.Http, string body = DefaultBody, TimeSpan? startTimeout = null)
    {
        string executable = Requires.Command("haproxy");
        BackendBody.Validate(body);
        string failures = string.Empty;
        for (int attempt = 0; attempt < StartAttempts; attempt++)
        {
            DirectoryInfo directory = Directory.CreateTempSubdirectory("toaproxy-haproxy-");
            int port = FreePort.Allocate();
            int internalPort = mode == HaproxyMode.Tcp ? FreePort.Allocate() : 0;
            string configPath = Path.Combine(directory.FullName, "haproxy.cfg");
            File.WriteAllText(configPath, Config(mode, port, internalPort, body));
            ExternalProcess process = ExternalProcess.Start(executable, ["-f", configPath, "-db"], directory.FullName);
            var backend = new HaproxyBackend(process, directory, port, body, mode);
            TimeSpan timeout = startTimeout ?? DefaultStartTimeout;
            if (TcpProbe.WaitUntilAccepting(backend.IPv4EndPoint, timeout, () => !process.HasExited)
                && TcpProbe.WaitUntilAccepting(backend.IPv6EndPoint, timeout, () => !process.HasExited))
            {
                return backend;
            }

            failures += backend.Describe();
            backend.Dispose();
        }

        throw new InvalidOperationException($"haproxy did not start in {StartAttempts} attempts:{Environment.NewLine}{failures}");
    }

    public IReadOnlyList<BackendLogRecord> Records() =>
        [.. _process.StandardOutput.Select(BackendLogRecord.TryParse).OfType<BackendLogRecord>()];

    // In tcp mode the line is written when the connection closes, after the client has its response.
    public BackendLogRecord? WaitForRecord(Func<BackendLogRecord, bool> predicate, TimeSpan timeout) =>
        Poll.Until(() => Records().FirstOrDefault(predicate), timeout);

    public string Describe() => _process.Describe();

    public void Dispose()
    {
        _process.Dispose();
        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Must not fail the test; the temp dir is cleaned by the OS later.
        }
    }

    private static string Config(HaproxyMode mode, int port, int internalPort, string body)
    {
        const string Fields = BackendLogRecord.Marker + "client=%ci:%cp server=%fi:%fp uid=%[fc_pp_unique_id] authority=%[fc_pp_authority]";
        string common = $"""
            global
                log stdout format raw local0
                maxconn 256
            defaults
                log global
                timeout connect 2s
                timeout client 10s
                timeout server 10s
            frontend fe
                bind 127.0.0.1:{port} accept-proxy
                bind [::1]:{port} accept-proxy
                option dontlognull

            """;
        return mode == HaproxyMode.Http
            ? common + $"""
                    mode http
                    log-format "{Fields} status=%ST"
                    http-request return status 200 content-type text/plain string "{body}"

                """
            : common + $"""
                    mode tcp
                    log-format "{Fields} bytes=%B"
                    default_backend be
                backend be
                    mode tcp
                    server internal 127.0.0.1:{internalPort}
                frontend internal
                    mode http
                    no log
                    bind 127.0.0.1:{internalPort}
                    http-request return status 200 content-type text/plain string "{body}"

                """;
    }
}
