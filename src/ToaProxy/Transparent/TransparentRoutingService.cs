using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ToaProxy.Configuration;

namespace ToaProxy.Transparent;

/// <summary>
/// With a transparent listener and Transparent:ManageRules, installs the reply routing before the
/// listeners open and removes it after they closed (hosted services stop in reverse order).
/// </summary>
public sealed partial class TransparentRoutingService : IHostedService
{
    private readonly ProxySettings _settings;
    private readonly ILogger _logger;
    private TransparentRouting? _routing;

    public TransparentRoutingService(ProxySettings settings, ILogger<TransparentRoutingService> logger)
    {
        _settings = settings;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_settings.HasTransparentListener || !_settings.Transparent.ManageRules)
        {
            return Task.CompletedTask;
        }

        IReadOnlyList<AddressFamily> families = TransparentRouting.FamiliesOf(_settings);
        var routing = new TransparentRouting(_settings.Transparent, families);
        try
        {
            routing.Install();
        }
        catch (Exception e) when (e is InvalidOperationException or Capture.Iptables.IptablesException)
        {
            throw new InvalidOperationException(
                $"Transparent mode: installing the reply routing failed ({e.Message}); it needs CAP_NET_ADMIN, iptables and ip, or set ToaProxy:Transparent:ManageRules false and set it up by hand (docs/deployment.md)", e);
        }

        _routing = routing;
        TransparentSettings t = _settings.Transparent;
        LogInstalled(string.Join(",", families.Select(f => f == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4")), t.ReplyMark, t.Table, t.RulePriority, TransparentRouting.Tag(t));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        if (_routing is null)
        {
            return Task.CompletedTask;
        }

        try
        {
            _routing.Remove();
            LogRemoved();
        }
        catch (AggregateException e)
        {
            LogRemoveFailed(e);
        }

        _routing = null;
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Transparent mode: reply routing installed for {Families}: fwmark 0x{Mark:x} -> table {Table} (local default dev lo), rule priority {Priority}, mangle rules tagged toaproxy:{Tag}")]
    private partial void LogInstalled(string families, int mark, int table, int priority, string tag);

    [LoggerMessage(Level = LogLevel.Information, Message = "Transparent mode: reply routing removed")]
    private partial void LogRemoved();

    [LoggerMessage(Level = LogLevel.Error, Message = "Transparent mode: removing the reply routing failed")]
    private partial void LogRemoveFailed(Exception e);
}
