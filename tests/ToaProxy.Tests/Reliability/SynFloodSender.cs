using System.Globalization;
using System.Net;
using System.Text.Json;
using ToaProxy.Testing;

namespace ToaProxy.Tests.Reliability;

/// <summary>
/// bench/flood/syn_flood.py running inside a test namespace: SYNs with TOA from spoofed sources,
/// through a raw socket, for a fixed time or count (0: time only). Dispose kills it if it is still running.
/// </summary>
internal sealed class SynFloodSender : IDisposable
{
    private readonly ExternalProcess _process;

    private SynFloodSender(ExternalProcess process) => _process = process;

    public bool HasExited => _process.HasExited;

    public static SynFloodSender Start(NetworkNamespace netns, IPEndPoint target, TimeSpan duration, long count, int packetsPerSecond, int distinctSyns, string spoofedSources, int seed)
    {
        string python = Requires.Command("python3");
        string script = Path.Combine(RepositoryRoot.Path, "bench", "flood", "syn_flood.py");
        string[] command =
        [
            .. netns.Launcher, python, script, "--dst", target.Address.ToString(), "--port", target.Port.ToString(CultureInfo.InvariantCulture),
            "--seconds", duration.TotalSeconds.ToString(CultureInfo.InvariantCulture), "--src-net", spoofedSources,
            "--count", count.ToString(CultureInfo.InvariantCulture), "--pps", packetsPerSecond.ToString(CultureInfo.InvariantCulture),
            "--pool", distinctSyns.ToString(CultureInfo.InvariantCulture), "--seed", seed.ToString(CultureInfo.InvariantCulture),
        ];
        var sender = new SynFloodSender(ExternalProcess.Start(command[0], command[1..]));
        if (sender._process.WaitForOutputLine(l => l.Contains("\"started\"", StringComparison.Ordinal), TimeSpan.FromSeconds(30)) is null)
        {
            string description = sender._process.Describe();
            sender.Dispose();
            throw new InvalidOperationException($"the flood sender did not start:\n{description}");
        }

        return sender;
    }

    /// <summary>Waits for the end of the run and returns what it sent.</summary>
    public (long Sent, double Seconds, long PacketsPerSecond) WaitForSummary(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout) || _process.ExitCode != 0)
        {
            throw new InvalidOperationException($"the flood sender did not finish cleanly:\n{_process.Describe()}");
        }

        using JsonDocument summary = JsonDocument.Parse(_process.StandardOutput.Last(l => l.Contains("\"sent\"", StringComparison.Ordinal)));
        JsonElement root = summary.RootElement;
        return (root.GetProperty("sent").GetInt64(), root.GetProperty("seconds").GetDouble(), root.GetProperty("pps").GetInt64());
    }

    public void Dispose() => _process.Dispose();
}
