using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace ToaProxy.Testing;

/// <summary>
/// A child process (nginx, haproxy, ...) with its stdout and stderr captured line by line.
/// Every wait is bounded; disposing kills the whole process tree and waits a bounded time for it.
/// </summary>
public sealed class ExternalProcess : IDisposable
{
    private const int SigHup = 1;
    private const int SigTerm = 15;
    private static readonly TimeSpan ExitWait = TimeSpan.FromSeconds(5);

    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private readonly object _gate = new();
    private bool _disposed;

    private ExternalProcess(Process process, string commandLine)
    {
        _process = process;
        CommandLine = commandLine;
    }

    public string CommandLine { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    public IReadOnlyList<string> StandardOutput
    {
        get
        {
            lock (_gate)
            {
                return [.. _stdout];
            }
        }
    }

    public IReadOnlyList<string> StandardError
    {
        get
        {
            lock (_gate)
            {
                return [.. _stderr];
            }
        }
    }

    public static ExternalProcess Start(string fileName, IEnumerable<string> arguments, string? workingDirectory = null)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // so the child never reads the test host's stdin
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = startInfo };
        var wrapper = new ExternalProcess(process, $"{fileName} {string.Join(' ', startInfo.ArgumentList)}");
        process.OutputDataReceived += (_, e) => wrapper.Append(wrapper._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => wrapper.Append(wrapper._stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return wrapper;
    }

    /// <summary>The first stdout line matching <paramref name="predicate"/> within <paramref name="timeout"/>, else null.</summary>
    public string? WaitForOutputLine(Func<string, bool> predicate, TimeSpan timeout) =>
        Poll.Until(() => StandardOutput.FirstOrDefault(predicate), timeout);

    /// <summary>Sends SIGTERM, as systemd or Kubernetes would to stop a service.</summary>
    public void Terminate()
    {
        if (!_process.HasExited && Kill(_process.Id, SigTerm) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Sends SIGHUP, as `systemctl reload` or `kill -HUP` would.</summary>
    public void Hangup()
    {
        if (Kill(_process.Id, SigHup) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, SIGHUP) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Waits for the process to exit by itself; false on timeout.</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            return false;
        }

        // The timed overload returns before redirected output is drained; this one waits for EOF on
        // both streams, so StandardOutput/StandardError are complete afterwards.
        _process.WaitForExit();
        return true;
    }

    /// <summary>Command line, exit state and the tail of both streams, for assertion messages.</summary>
    public string Describe(int tailLines = 20)
    {
        var text = new StringBuilder();
        text.AppendLine($"$ {CommandLine}");
        text.AppendLine(HasExited ? $"exited with {ExitCode}" : "still running");
        text.AppendLine("--- stdout ---");
        foreach (string line in StandardOutput.TakeLast(tailLines))
        {
            text.AppendLine(line);
        }

        text.AppendLine("--- stderr ---");
        foreach (string line in StandardError.TakeLast(tailLines))
        {
            text.AppendLine(line);
        }

        return text.ToString();
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.WaitForExit(ExitWait);
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill: nothing left to stop.
        }

        _process.Dispose();
    }

    private void Append(List<string> lines, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            lines.Add(line);
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
