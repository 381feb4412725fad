using System.Net;
using System.Net.Sockets;
using System.Text;
using ToaProxy.Configuration;
using ToaProxy.Protocol;

namespace ToaProxy.Diagnostics;

/// <summary>
/// Whether a listener's upstream is reachable and reads PROXY protocol. Two probe connections send the
/// same harmless HTTP HEAD, one after a PROXY LOCAL header (v2, or "PROXY UNKNOWN" for v1) and one
/// without: a PROXY-aware server answers the first and rejects the second; a server that does not
/// read PROXY does the opposite. Anything less clear-cut is a WARN, never a guess.
/// </summary>
public static class UpstreamProxyCheck
{
    /// <summary>An http listener's upstream gets no PROXY header: it only has to answer plain HTTP.</summary>
    private static async Task<CheckResult> CheckHttpAsync(string name, ListenerSettings listener, IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        (UpstreamProbeOutcome outcome, string line, string? connectError) = await ProbeAsync(endpoint, Request, listener.ConnectTimeout, cancellationToken).ConfigureAwait(false);
        if (connectError is not null)
        {
            return CheckResult.Fail(name, $"cannot connect to {listener.Upstream}: {connectError}", $"start the backend on {listener.Upstream}, or correct Upstream");
        }

        return outcome == UpstreamProbeOutcome.Answered && !IsBadRequest(line)
            ? CheckResult.Ok(name, $"{listener.Upstream} answers HTTP (\"{line}\"); HTTP mode sends it the client in X-Forwarded-For")
            : CheckResult.Warn(
                name,
                $"{listener.Upstream} accepts connections but its answer to a plain HTTP request ({Describe(outcome, line)}) is not a success",
                "check that Upstream is an HTTP server on this port (an h2c-only upstream cannot answer this HTTP/1.0 probe)");
    }

    private static readonly byte[] Request = "HEAD / HTTP/1.0\r\nUser-Agent: toaproxy-doctor\r\n\r\n"u8.ToArray();
    private static readonly TimeSpan AnswerWait = TimeSpan.FromSeconds(2);

    public static async Task<CheckResult> RunAsync(ListenerSettings listener, CancellationToken cancellationToken)
    {
        string name = $"upstream {listener.Name}";
        string fixProxy = "enable PROXY protocol on the backend: nginx 'listen ... proxy_protocol;' with 'real_ip_header proxy_protocol;', HAProxy 'bind ... accept-proxy'";
        IPEndPoint endpoint;
        try
        {
            IPAddress address = listener.Upstream.Address ?? (await Dns.GetHostAddressesAsync(listener.Upstream.Host, cancellationToken).ConfigureAwait(false))[0];
            endpoint = new IPEndPoint(address, listener.Upstream.Port);
        }
        catch (Exception e) when (e is SocketException or IndexOutOfRangeException)
        {
            return CheckResult.Fail(name, $"{listener.Upstream}: the name does not resolve ({e.Message})", "fix Upstream, or the resolver (/etc/hosts, DNS)");
        }

        if (listener.Http is not null)
        {
            return await CheckHttpAsync(name, listener, endpoint, cancellationToken).ConfigureAwait(false);
        }

        byte[] header = new byte[ProxyV2Writer.GetLength(ProxyHeader.Local)];
        int headerLength = listener.Protocol == ProxyProtocolVersion.V2
            ? ProxyV2Writer.Write(ProxyHeader.Local, header)
            : Encoding.ASCII.GetBytes("PROXY UNKNOWN\r\n", header);
        string headerName = listener.Protocol == ProxyProtocolVersion.V2 ? "a PROXY v2 LOCAL header" : "a PROXY v1 UNKNOWN header";

        (UpstreamProbeOutcome withHeader, string withLine, string? connectError) =
            await ProbeAsync(endpoint, [.. header.AsSpan(0, headerLength), .. Request], listener.ConnectTimeout, cancellationToken).ConfigureAwait(false);
        if (connectError is not null)
        {
            return CheckResult.Fail(name, $"cannot connect to {listener.Upstream}: {connectError}", $"start the backend on {listener.Upstream}, or correct Upstream");
        }

        if (withHeader == UpstreamProbeOutcome.Reset)
        {
            return CheckResult.Fail(name, $"{listener.Upstream} reset the connection after {headerName}", fixProxy);
        }

        (UpstreamProbeOutcome without, string withoutLine, _) = await ProbeAsync(endpoint, Request, listener.ConnectTimeout, cancellationToken).ConfigureAwait(false);
        bool acceptedWith = withHeader == UpstreamProbeOutcome.Answered && !IsBadRequest(withLine);
        bool rejectedWithout = without is UpstreamProbeOutcome.Closed or UpstreamProbeOutcome.Reset
            || (without == UpstreamProbeOutcome.Answered && IsBadRequest(withoutLine));
        if (acceptedWith && rejectedWithout)
        {
            return CheckResult.Ok(name, $"{listener.Upstream} speaks PROXY protocol (answered \"{withLine}\" after {headerName}, rejected a request without one)");
        }

        if (withHeader == UpstreamProbeOutcome.Answered && IsBadRequest(withLine) && without == UpstreamProbeOutcome.Answered && !IsBadRequest(withoutLine))
        {
            return CheckResult.Fail(name, $"{listener.Upstream} answers plain requests (\"{withoutLine}\") but rejects one with {headerName} (\"{withLine}\"): it does not read PROXY protocol", fixProxy);
        }

        if (acceptedWith)
        {
            return CheckResult.Warn(
                name,
                $"{listener.Upstream} answered both with and without a PROXY header (\"{withLine}\" / \"{withoutLine}\"); it may take the header as optional, or as data",
                "make the backend require PROXY protocol on this port so no client can skip or forge it (nginx: only 'listen ... proxy_protocol')");
        }

        return CheckResult.Warn(
            name,
            $"{listener.Upstream} accepts connections and did not reset after {headerName}, but its answer ({Describe(withHeader, withLine)}) cannot confirm that it reads PROXY protocol (not HTTP?)",
            "check the backend's log for a test connection from toaproxy-doctor (nginx error.log shows 'broken header' when PROXY is off)");
    }

    private static bool IsBadRequest(string line) => line.StartsWith("HTTP/", StringComparison.Ordinal) && line.Contains(" 400", StringComparison.Ordinal);

    private static string Describe(UpstreamProbeOutcome outcome, string line) => outcome switch
    {
        UpstreamProbeOutcome.Answered => $"\"{line}\"",
        UpstreamProbeOutcome.Closed => "closed without a byte",
        UpstreamProbeOutcome.Silent => $"nothing within {AnswerWait.TotalSeconds:0}s",
        _ => "reset",
    };

    private static async Task<(UpstreamProbeOutcome Outcome, string FirstLine, string? ConnectError)> ProbeAsync(
        IPEndPoint endpoint, byte[] payload, TimeSpan connectTimeout, CancellationToken cancellationToken)
    {
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using (var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            connect.CancelAfter(connectTimeout);
            try
            {
                await socket.ConnectAsync(endpoint, connect.Token).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                return (UpstreamProbeOutcome.Reset, string.Empty, e.Message);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return (UpstreamProbeOutcome.Reset, string.Empty, $"no answer to the connection attempt within {Duration.Format(connectTimeout)}");
            }
        }

        using var answer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        answer.CancelAfter(AnswerWait);
        byte[] buffer = new byte[512];
        try
        {
            await socket.SendAsync(payload, SocketFlags.None, answer.Token).ConfigureAwait(false);
            int received = await socket.ReceiveAsync(buffer, SocketFlags.None, answer.Token).ConfigureAwait(false);
            if (received == 0)
            {
                return (UpstreamProbeOutcome.Closed, string.Empty, null);
            }

            string text = Encoding.ASCII.GetString(buffer, 0, received);
            int end = text.IndexOfAny(['\r', '\n']);
            return (UpstreamProbeOutcome.Answered, end >= 0 ? text[..end] : text, null);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown)
        {
            return (UpstreamProbeOutcome.Reset, string.Empty, null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (UpstreamProbeOutcome.Silent, string.Empty, null);
        }
    }
}
