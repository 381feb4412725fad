using System.Net;

namespace ToaProxy.Testing;

/// <summary>
/// A real nginx in the foreground (daemon off, single process) requiring PROXY protocol on
/// 127.0.0.1:Port and [::1]:Port, answering every GET with <see cref="Body"/>, and logging
/// $proxy_protocol_addr:port and $proxy_protocol_server_addr:port per request. Everything it
/// writes (pid, logs, temp files) stays in a temp directory that Dispose deletes.
/// Start skips (or fails under CI) through <see cref="Requires.Command"/> when nginx is missing;
/// tests call <see cref="Requires.Root"/> first, as nginx needs it for the Debian package's paths.
/// </summary>
public sealed class NginxBackend : IProxyProtocolBackend
{
    public const string DefaultBody = "toaproxy-nginx-ok";

    private const int StartAttempts = 3;
    private const int DefaultWorkerConnections = 4096;
    private static readonly TimeSpan DefaultStartTimeout = TimeSpan.FromSeconds(10);

    private readonly ExternalProcess _process;
    private readonly DirectoryInfo _directory;

    private NginxBackend(ExternalProcess process, DirectoryInfo directory, int port, string body)
    {
        _process = process;
        _directory = directory;
        Port = port;
        Body = body;
    }

    public string Name => "nginx";

    public int Port { get; }

    public IPEndPoint IPv4EndPoint => new(IPAddress.Loopback, Port);

    public IPEndPoint IPv6EndPoint => new(IPAddress.IPv6Loopback, Port);

    public string Body { get; }

    public string DirectoryPath => _directory.FullName;

    public string AccessLogPath => Path.Combine(_directory.FullName, "access.log");

    public string ErrorLogPath => Path.Combine(_directory.FullName, "error.log");

    /// <summary>Starts nginx and waits until both listeners accept; retries on a port taken meanwhile.
    /// <paramref name="workerConnections"/> bounds the connections it holds at once (plus its own listeners).</summary>
    public static NginxBackend Start(string body = DefaultBody, TimeSpan? startTimeout = null, int workerConnections = DefaultWorkerConnections) =>
        Start((directory, port, b) => Config(directory, port, b, " proxy_protocol", ProxyProtocolLogFormat, workerConnections), body, startTimeout);

    /// <summary>
    /// nginx on a plain HTTP listen (no PROXY protocol), for HTTP mode: logs the forwarded headers it
    /// received in the <see cref="ForwardedLogRecord"/> format.
    /// </summary>
    public static NginxBackend StartPlainHttp(string body = DefaultBody, TimeSpan? startTimeout = null) =>
        Start((directory, port, b) => Config(directory, port, b, string.Empty, ForwardedLogRecord.Format, DefaultWorkerConnections), body, startTimeout);

    public IReadOnlyList<ForwardedLogRecord> ForwardedRecords() =>
        [.. AccessLogLines().Select(ForwardedLogRecord.TryParse).OfType<ForwardedLogRecord>()];

    private static NginxBackend Start(Func<string, int, string, string> config, string body, TimeSpan? startTimeout)
    {
        string executable = Requires.Command("nginx");
        BackendBody.Validate(body);
        string failures = string.Empty;
        for (int attempt = 0; attempt < StartAttempts; attempt++)
        {
            DirectoryInfo directory = Directory.CreateTempSubdirectory("toaproxy-nginx-");
            int port = FreePort.Allocate();
            string configPath = Path.Combine(directory.FullName, "nginx.conf");
            File.WriteAllText(configPath, config(directory.FullName, port, body));
            ExternalProcess process = ExternalProcess.Start(
                executable,
                ["-p", directory.FullName + "/", "-c", configPath, "-e", Path.Combine(directory.FullName, "error.log")],
                directory.FullName);
            var backend = new NginxBackend(process, directory, port, body);
            TimeSpan timeout = startTimeout ?? DefaultStartTimeout;
            if (TcpProbe.WaitUntilAccepting(backend.IPv4EndPoint, timeout, () => !process.HasExited)
                && TcpProbe.WaitUntilAccepting(backend.IPv6EndPoint, timeout, () => !process.HasExited))
            {
                return backend;
            }

            failures += backend.Describe();
            backend.Dispose();
        }

        throw new InvalidOperationException($"nginx did not start in {StartAttempts} attempts:{Environment.NewLine}{failures}");
    }

    public IReadOnlyList<string> AccessLogLines() => ReadLines(AccessLogPath);

    public string ErrorLog() => string.Join(Environment.NewLine, ReadLines(ErrorLogPath));

    public IReadOnlyList<BackendLogRecord> Records() =>
        [.. AccessLogLines().Select(BackendLogRecord.TryParse).OfType<BackendLogRecord>()];

    // nginx writes the access log line after the response, so it may trail the client's read.
    public BackendLogRecord? WaitForRecord(Func<BackendLogRecord, bool> predicate, TimeSpan timeout) =>
        Poll.Until(() => Records().FirstOrDefault(predicate), timeout);

    public string Describe() =>
        $"{_process.Describe()}--- access.log ---{Environment.NewLine}{string.Join(Environment.NewLine, AccessLogLines())}{Environment.NewLine}--- error.log ---{Environment.NewLine}{ErrorLog()}{Environment.NewLine}";

    public void Dispose()
    {
        _process.Dispose();
        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A file still held open must not fail the test; the temp dir is cleaned by the OS later.
        }
    }

    internal static IReadOnlyList<string> ReadLines(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return [];
        }
    }

    private const string ProxyProtocolLogFormat =
        BackendLogRecord.Marker + "client=$proxy_protocol_addr:$proxy_protocol_port server=$proxy_protocol_server_addr:$proxy_protocol_server_port remote=$remote_addr:$remote_port status=$status";

    private static string Config(string directory, int port, string body, string listenParameters, string logFormat, int workerConnections) => NginxConfigText.Build(
        directory,
        workerConnections,
        logFormat,
        $$"""
                listen 127.0.0.1:{{port}}{{listenParameters}};
                listen [::1]:{{port}}{{listenParameters}};
                location / { return 200 "{{body}}"; }
        """);
}
