using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ToaProxy.Configuration;

namespace ToaProxy.Hosting;

/// <summary>
/// Reloads the config file when it changes on disk or on SIGHUP: the new file (with the same
/// environment and command-line overrides) is validated like at start; a valid one is applied to the
/// listeners and the capture without touching live connections, an invalid one is rejected with
/// every error naming its key and the running configuration stays. The outcome goes to the log and
/// to /stats.
/// </summary>
public sealed partial class ConfigReloadService : IHostedService, IDisposable
{
    // Editors write a file in several steps (truncate, write, rename): reload once they are done.
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(300);

    private readonly ConfigSource _source;
    private readonly RelayService _relay;
    private readonly CaptureService _capture;
    private readonly ReloadStatus _status;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Timer _debounce;
    private volatile string _pendingTrigger = "file";
    private PosixSignalRegistration? _hangup;
    private FileSystemWatcher? _watcher;
    private volatile bool _stopping;

    public ConfigReloadService(ConfigSource source, RelayService relay, CaptureService capture, ReloadStatus status, ILogger<ConfigReloadService> logger)
    {
        _source = source;
        _relay = relay;
        _capture = capture;
        _status = status;
        _logger = logger;
        _debounce = new Timer(_ => _ = ReloadFromTriggerAsync(), null, Timeout.Infinite, Timeout.Infinite);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            // Handled: SIGHUP would otherwise end the process.
            context.Cancel = true;
            Trigger("SIGHUP");
        });

        string path = Path.GetFullPath(_source.Path);
        _watcher = new FileSystemWatcher(Path.GetDirectoryName(path)!, Path.GetFileName(path))
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        _watcher.Changed += (_, _) => Trigger("file");
        _watcher.Created += (_, _) => Trigger("file");
        _watcher.Renamed += (_, _) => Trigger("file");
        _watcher.EnableRaisingEvents = true;
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        _watcher?.Dispose();
        _hangup?.Dispose();
        _debounce.Change(Timeout.Infinite, Timeout.Infinite);

        // A reload under way finishes before the relay and the capture stop under it.
        await _gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        _gate.Release();
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _hangup?.Dispose();
        _debounce.Dispose();
    }

    /// <summary>Reads, validates and applies the config file now; true when applied.</summary>
    public async Task<bool> ReloadAsync(string trigger, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_stopping)
            {
                return false;
            }

            var errors = new List<string>();
            ProxySettings? next = Read(errors);
            if (next is not null)
            {
                RestartOnlyKeys.Check(_relay.Settings, next, errors);
            }

            if (next is null || errors.Count > 0)
            {
                Reject(trigger, errors);
                return false;
            }

            IReadOnlyList<string> bindErrors = await _relay.ApplyAsync(next).ConfigureAwait(false);
            if (bindErrors.Count > 0)
            {
                Reject(trigger, bindErrors);
                return false;
            }

            Exception? captureError = await _capture.ApplyAsync(next, cancellationToken).ConfigureAwait(false);
            string[] warnings = captureError is null ? [] : [$"capture restart for the new ports failed (retrying): {captureError.Message}"];
            _status.RecordApplied(trigger, warnings);
            LogApplied(
                trigger,
                string.Join("; ", next.Listeners.Select(l => $"{l.Name} {l.Listen} -> {l.Upstream}")),
                next.Capture.TrustedSources.TrustsEveryone ? "any" : string.Join(",", next.Capture.TrustedSources.Ranges));
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ReloadFromTriggerAsync()
    {
        string trigger = _pendingTrigger;
        try
        {
            await ReloadAsync(trigger, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Nobody awaits a timer's reload: a failure must reach the log and /stats, not vanish.
            _status.RecordRejected(trigger, [$"reload failed: {e.Message}"]);
            LogReloadFailed(e, trigger);
        }
    }

    private void Trigger(string trigger)
    {
        if (_stopping)
        {
            return;
        }

        _pendingTrigger = trigger;
        _debounce.Change(Debounce, Timeout.InfiniteTimeSpan);
    }

    private ProxySettings? Read(List<string> errors)
    {
        try
        {
            var configuration = new ConfigurationManager();
            ConfigurationLoader.AddSources(configuration, _source.Path, [.. _source.Overrides]);
            return ConfigurationLoader.Compile(configuration, errors);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException or InvalidOperationException)
        {
            // Unreadable or not JSON (the message names the file and line), or a value the binder cannot convert (it names the key).
            errors.Add($"{_source.Path}: {e.Message}{(e.InnerException is null ? string.Empty : $" ({e.InnerException.Message})")}");
            return null;
        }
    }

    private void Reject(string trigger, IReadOnlyList<string> errors)
    {
        _status.RecordRejected(trigger, errors);
        LogRejected(trigger, _source.Path, string.Join("; ", errors));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Config reload ({Trigger}) applied: relaying {Listeners}; TOA trusted from {Trusted}")]
    private partial void LogApplied(string trigger, string listeners, string trusted);

    [LoggerMessage(Level = LogLevel.Error, Message = "Config reload ({Trigger}) failed while applying")]
    private partial void LogReloadFailed(Exception e, string trigger);

    [LoggerMessage(Level = LogLevel.Error, Message = "Config reload ({Trigger}) of {Path} rejected, the running configuration is kept: {Errors}")]
    private partial void LogRejected(string trigger, string path, string errors);
}
