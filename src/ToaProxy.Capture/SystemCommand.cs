using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;

namespace ToaProxy.Capture;

/// <summary>
/// Runs a system tool (iptables, ip) as a service must: found in the sbin directories even when PATH
/// lacks them, stdout returned, a failure described by its command line and stderr, and every wait
/// bounded — a tool that does not finish in time fails with a <see cref="TimeoutException"/> as the cause.
/// </summary>
public sealed class SystemCommand : IDisposable
{
    private readonly Process _process;
    private readonly Stopwatch _running;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;
    private readonly Func<string, Exception?, Exception> _fail;

    private SystemCommand(Process process, string commandLine, Func<string, Exception?, Exception> fail)
    {
        _process = process;
        _running = Stopwatch.StartNew();
        _stdout = process.StandardOutput.ReadToEndAsync();
        _stderr = process.StandardError.ReadToEndAsync();
        _fail = fail;
        CommandLine = commandLine;
    }

    public string CommandLine { get; }

    /// <summary>The tool's path in /usr/sbin or /sbin, else its bare name for PATH to resolve.</summary>
    public static string Find(string name)
    {
        foreach (string directory in (string[])["/usr/sbin", "/sbin"])
        {
            string candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return name;
    }

    /// <summary>Returns stdout; a failure throws what <paramref name="fail"/> makes of its message (and cause).</summary>
    public static string Run(string executable, IEnumerable<string> arguments, TimeSpan timeout, Func<string, Exception?, Exception> fail)
    {
        using SystemCommand command = Start(executable, arguments, fail);
        return command.Finish(timeout);
    }

    /// <summary>
    /// Starts the tool on the calling thread (so it runs in that thread's network namespace) without
    /// waiting: several started together and finished with the same timeout take that long at most in all.
    /// </summary>
    public static SystemCommand Start(string executable, IEnumerable<string> arguments, Func<string, Exception?, Exception> fail)
    {
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        string commandLine = $"{executable} {string.Join(' ', start.ArgumentList)}";
        try
        {
            return new SystemCommand(Process.Start(start) ?? throw fail($"'{commandLine}' did not start", null), commandLine, fail);
        }
        catch (Win32Exception e)
        {
            throw fail($"'{commandLine}' could not start: {e.Message}", e);
        }
    }

    /// <summary>
    /// Waits until <paramref name="timeout"/> after the start for the tool to exit and close its output
    /// (a child it left behind may hold the pipes open), then returns stdout; on timeout it is killed.
    /// </summary>
    public string Finish(TimeSpan timeout)
    {
        if (!_process.WaitForExit(Remaining(timeout)) || !Task.WaitAll([_stdout, _stderr], Remaining(timeout)))
        {
            throw TimedOut(timeout);
        }

        return Result();
    }

    /// <summary>
    /// <see cref="Finish"/> without blocking a thread: the output is read on the thread pool, so a caller
    /// that blocks pool threads while waiting (on a machine with few cores) can starve the very reads it waits for.
    /// </summary>
    public async Task<string> FinishAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(Remaining(timeout));
        try
        {
            await _process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            await Task.WhenAll(_stdout, _stderr).WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw TimedOut(timeout);
        }

        return Result();
    }

    /// <summary>Kills the tool if it still runs (a command not finished, e.g. after another one failed).</summary>
    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private Exception TimedOut(TimeSpan timeout)
    {
        Kill();
        string message = $"'{CommandLine}' did not finish within {timeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s";
        return _fail(message, new TimeoutException(message));
    }

    private string Result() => _process.ExitCode == 0
        ? _stdout.Result
        : throw _fail($"'{CommandLine}' exited with {_process.ExitCode}: {_stderr.Result.Trim()}", null);

    private TimeSpan Remaining(TimeSpan timeout) => timeout > _running.Elapsed ? timeout - _running.Elapsed : TimeSpan.Zero;

    private void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }
}
