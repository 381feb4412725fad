using System.Net;

namespace ToaProxy.Testing;

/// <summary>
/// A real nginx WITHOUT proxy_protocol inside a <see cref="NetworkNamespace"/>, on the namespace's
/// IPv4 and IPv6 address: the backend of transparent mode, which learns the client only from the
/// connection itself. Logs "pp client=$remote_addr:$remote_port server=$server_addr:$server_port".
/// </summary>
public sealed class PlainNginxBackend : IDisposable
{
    public const string Body = "toaproxy-plain-nginx-ok";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    private readonly ExternalProcess _process;
    private readonly DirectoryInfo _directory;

    private PlainNginxBackend(ExternalProcess process, DirectoryInfo directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Starts nginx in <paramref name="ns"/> on <paramref name="port"/> (any port is free in a fresh namespace).</summary>
    public static PlainNginxBackend Start(NetworkNamespace ns, int port)
    {
        string executable = Requires.Command("nginx");
        DirectoryInfo directory = Directory.CreateTempSubdirectory("toaproxy-plain-nginx-");
        string configPath = Path.Combine(directory.FullName, "nginx.conf");
        File.WriteAllText(configPath, Config(directory.FullName, ns, port));
        ExternalProcess process = ExternalProcess.Start(
            ns.Launcher[0],
            [.. ns.Launcher.Skip(1), executable, "-p", directory.FullName + "/", "-c", configPath, "-e", Path.Combine(directory.FullName, "error.log")],
            directory.FullName);
        var backend = new PlainNginxBackend(process, directory, port);
        bool up = ns.Enter(() =>
            TcpProbe.WaitUntilAccepting(new IPEndPoint(ns.IPv4, port), StartTimeout, () => !process.HasExited)
            && TcpProbe.WaitUntilAccepting(new IPEndPoint(ns.IPv6, port), StartTimeout, () => !process.HasExited));
        if (!up)
        {
            string description = process.Describe();
            backend.Dispose();
            throw new InvalidOperationException($"nginx did not start in netns {ns.Name}:{Environment.NewLine}{description}");
        }

        return backend;
    }

    public IReadOnlyList<BackendLogRecord> Records() =>
        [.. NginxBackend.ReadLines(Path.Combine(_directory.FullName, "access.log")).Select(BackendLogRecord.TryParse).OfType<BackendLogRecord>()];

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

    private static string Config(string directory, NetworkNamespace ns, int port) => NginxConfigText.Build(
        directory,
        4096,
        BackendLogRecord.Marker + "client=$remote_addr:$remote_port server=$server_addr:$server_port status=$status",
        $$"""
                listen {{ns.IPv4}}:{{port}};
                listen [{{ns.IPv6}}]:{{port}};
                location / { return 200 "{{Body}} $remote_addr:$remote_port"; }
        """);
}
