using System.Text.Json.Nodes;

namespace ToaProxy.Testing;

/// <summary>
/// toaproxy running as its own process from the published output, on a config the test generates.
/// Start returns once the proxy logged its start-up line; Dispose kills it and deletes the config.
/// </summary>
public sealed class ToaproxyProcess : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly DirectoryInfo _directory;

    private ToaproxyProcess(ExternalProcess process, DirectoryInfo directory, string configPath)
    {
        Process = process;
        _directory = directory;
        ConfigPath = configPath;
    }

    public ExternalProcess Process { get; }

    public string ConfigPath { get; }

    /// <summary>Writes <c>{"ToaProxy": section}</c> with debug logging and starts <c>toaproxy run</c> on it.</summary>
    public static ToaproxyProcess Start(JsonObject toaProxySection, params string[] extraArguments) =>
        StartUnder([], PublishedToaproxy.ExecutablePath, toaProxySection, extraArguments);

    /// <summary>
    /// Starts <paramref name="executable"/> through <paramref name="launcher"/> (e.g. setpriv dropping to
    /// another user and capability set); the config is readable by every user for that reason.
    /// </summary>
    public static ToaproxyProcess StartUnder(IReadOnlyList<string> launcher, string executable, JsonObject toaProxySection, params string[] extraArguments)
    {
        var directory = Directory.CreateTempSubdirectory("toaproxy-e2e-");
        if (OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(directory.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }

        string configPath = Path.Combine(directory.FullName, "toaproxy.json");
        WriteConfig(configPath, toaProxySection);
        string[] command = [.. launcher, executable, "run", "--config", configPath, .. extraArguments];
        ExternalProcess process = ExternalProcess.Start(command[0], command[1..], directory.FullName);
        var proxy = new ToaproxyProcess(process, directory, configPath);
        bool started = Poll.Until(() => process.HasExited || process.StandardOutput.Any(l => l.Contains("toaproxy started", StringComparison.Ordinal)), StartTimeout);
        if (!started || process.HasExited)
        {
            string description = process.Describe(60);
            proxy.Dispose();
            throw new InvalidOperationException($"toaproxy did not start:\n{description}");
        }

        return proxy;
    }

    public string Describe() => Process.Describe(80);

    /// <summary>Replaces the config file the proxy runs on (a reload test's edit), in the same form as at start.</summary>
    public void RewriteConfig(JsonObject toaProxySection) => WriteConfig(ConfigPath, toaProxySection);

    private static void WriteConfig(string path, JsonObject toaProxySection)
    {
        var config = new JsonObject
        {
            ["ToaProxy"] = toaProxySection.DeepClone(),
            ["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = "Debug", ["Microsoft"] = "Warning" } },
        };
        File.WriteAllText(path, config.ToJsonString());
    }

    /// <summary>Stops it the way an operator would (SIGTERM, so it removes any rules it manages),
    /// killing it only if it has not exited within a bounded time.</summary>
    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Terminate();
            Process.WaitForExit(TimeSpan.FromSeconds(15));
        }

        Process.Dispose();
        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder left behind is harmless.
        }
    }
}
