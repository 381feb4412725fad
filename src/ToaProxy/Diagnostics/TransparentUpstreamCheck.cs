using System.Net;
using System.Net.Sockets;
using ToaProxy.Configuration;

namespace ToaProxy.Diagnostics;

/// <summary>A transparent listener's upstream needs no PROXY support, only to accept connections.</summary>
public static class TransparentUpstreamCheck
{
    public static async Task<CheckResult> RunAsync(ListenerSettings listener, CancellationToken cancellationToken)
    {
        string name = $"upstream {listener.Name}";
        using var socket = new Socket(listener.Upstream.Address!.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(listener.ConnectTimeout);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(listener.Upstream.Address, listener.Upstream.Port), timeout.Token).ConfigureAwait(false);
            return CheckResult.Ok(name, $"{listener.Upstream} accepts connections (transparent: the backend sees the client as its peer, no PROXY header)");
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            string reason = e is SocketException se ? se.Message : $"no answer within {Duration.Format(listener.ConnectTimeout)}";
            return CheckResult.Fail(name, $"cannot connect to {listener.Upstream}: {reason}", $"start the backend on {listener.Upstream}, or correct Upstream");
        }
    }
}
