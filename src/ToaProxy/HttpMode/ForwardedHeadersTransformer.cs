using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using ToaProxy.Capture;
using ToaProxy.Configuration;
using ToaProxy.Protocol;
using Yarp.ReverseProxy.Forwarder;

namespace ToaProxy.HttpMode;

/// <summary>
/// Copies the request as YARP does by default, then rewrites the client-identifying headers: a peer
/// outside TrustForwardedHeadersFrom cannot forge its address, as every X-Forwarded-*, Forwarded and
/// X-Real-IP it sent is dropped; a trusted peer's values are kept and this hop is appended.
/// </summary>
internal sealed class ForwardedHeadersTransformer(HttpListenerSettings settings) : HttpTransformer
{
    private const string ForwardedFor = "X-Forwarded-For";
    private const string ForwardedProto = "X-Forwarded-Proto";
    private const string ForwardedHost = "X-Forwarded-Host";
    private const string Forwarded = "Forwarded";

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);

        RealClientFeature? real = httpContext.Features.Get<RealClientFeature>();
        bool trusted = real is not null && IsTrusted(real.TcpPeer.Address);
        var headers = proxyRequest.Headers;
        if (!trusted)
        {
            foreach (string name in headers.Select(h => h.Key).Where(IsClientIdentifying).ToList())
            {
                headers.Remove(name);
            }
        }

        IHeaderDictionary incoming = httpContext.Request.Headers;
        IPEndPoint? client = real?.Client;
        string host = httpContext.Request.Host.Value ?? string.Empty;
        string proto = httpContext.Request.Scheme;
        if (client is not null)
        {
            Append(headers, incoming, ForwardedFor, client.Address.ToString(), trusted);
        }

        Append(headers, incoming, ForwardedProto, proto, trusted);
        if (host.Length > 0)
        {
            Append(headers, incoming, ForwardedHost, host, trusted);
        }

        if (settings.Forwarded)
        {
            Append(headers, incoming, Forwarded, ForwardedElement.Format(client, host, proto), trusted);
        }
    }

    private static bool IsClientIdentifying(string name) =>
        name.StartsWith("X-Forwarded-", StringComparison.OrdinalIgnoreCase)
        || name.Equals(Forwarded, StringComparison.OrdinalIgnoreCase)
        || name.Equals("X-Real-IP", StringComparison.OrdinalIgnoreCase);

    private static void Append(System.Net.Http.Headers.HttpRequestHeaders headers, IHeaderDictionary incoming, string name, string value, bool keepIncoming)
    {
        headers.Remove(name);
        StringValues prior = keepIncoming ? incoming[name] : StringValues.Empty;
        headers.TryAddWithoutValidation(name, prior.Count == 0 ? value : $"{string.Join(", ", prior.ToArray())}, {value}");
    }

    private bool IsTrusted(IPAddress peer)
    {
        NetAddress address = NetAddress.FromIPAddress(peer);
        foreach (CidrRange range in settings.TrustForwardedHeadersFrom)
        {
            if (range.Contains(address))
            {
                return true;
            }
        }

        return false;
    }
}
