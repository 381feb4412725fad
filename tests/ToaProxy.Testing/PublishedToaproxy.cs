using System.Diagnostics;

namespace ToaProxy.Testing;

/// <summary>
/// The toaproxy executable as users get it from <c>dotnet publish</c>. scripts/test.sh publishes to
/// artifacts/toaproxy before the tests; when that is missing (running one test from an IDE) the
/// first test to ask publishes it, once.
/// </summary>
public static class PublishedToaproxy
{
    private static readonly Lazy<string> Executable = new(PublishIfMissing, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string DirectoryPath => System.IO.Path.Combine(RepositoryRoot.Path, "artifacts", "toaproxy");

    public static string ExecutablePath => Executable.Value;

    private static string PublishIfMissing()
    {
        string exe = System.IO.Path.Combine(DirectoryPath, "toaproxy");
        if (File.Exists(exe))
        {
            return exe;
        }

        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { "publish", System.IO.Path.Combine(RepositoryRoot.Path, "src", "ToaProxy"), "-c", "Release", "-o", DirectoryPath, "--nologo", "-v", "q" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)) || process.ExitCode != 0 || !File.Exists(exe))
        {
            throw new InvalidOperationException($"dotnet publish of toaproxy failed:\n{output.Result}\n{errors.Result}");
        }

        return exe;
    }
}
