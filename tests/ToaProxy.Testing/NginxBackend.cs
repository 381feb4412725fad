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
    public static NginxBackend Start(string body = DefaultBody, TimeSpan? startTimeout = null, int workerConnections = 256)
    {
        string executable = Requires.Command("nginx");
        BackendBody.Validate(body);
        string failures = string.Empty;
        for (int attempt = 0; attempt < StartAttempts; attempt++)
        {
            DirectoryInfo directory = Directory.CreateTempSubdirectory("toaproxy-nginx-");
            int port = FreePort.Allocate();
            string configPath = Path.Combine(directory.FullName, "nginx.conf");
            File.WriteAllText(configPath, Config(directory.FullName, port, body, workerConnections));
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

    private static IReadOnlyList<string> ReadLines(string path)
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

    // master_process off: one process, so killing it leaves no orphaned workers behind.
    private static string Config(string directory, int port, string body, int workerConnections) => $$"""
        daemon off;
        master_process off;
        worker_processes 1;
        pid {{directory}}/nginx.pid;
        error_log {{directory}}/error.log info;
        events { worker_connections {{workerConnections}}; }
        http {
            client_body_temp_path {{directory}}/client_body;
            proxy_temp_path {{directory}}/proxy;
            fastcgi_temp_path {{directory}}/fastcgi;
            uwsgi_temp_path {{directory}}/uwsgi;
            scgi_temp_path {{directory}}/scgi;
            log_format pp '{{BackendLogRecord.Marker}}client=$proxy_protocol_addr:$proxy_protocol_port server=$proxy_protocol_server_addr:$proxy_protocol_server_port remote=$remote_addr:$remote_port status=$status';
            access_log {{directory}}/access.log pp;
            default_type text/plain;
            server {
                listen 127.0.0.1:{{port}} proxy_protocol;
                listen [::1]:{{port}} proxy_protocol;
                location / { return 200 "{{body}}"; }
            }
        }
        """;
}
