using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using ToaProxy.Capture.Flows;
using ToaProxy.Configuration;
using ToaProxy.Protocol;

namespace ToaProxy.Relay;

/// <summary>
/// Where a transparent listener's upstream connection comes from: the TOA client when its family
/// is the backend's; otherwise (a NAT64 client, or no TOA) what WithoutToa says — peer: the TCP
/// peer's address, local: the proxy's own address, reject: nowhere.
/// </summary>
public sealed partial class TransparentSourceChooser
{
    private readonly ListenerSettings _settings;
    private readonly ListenerCounters _counters;
    private readonly ILogger _logger;
    private readonly AddressFamily _upstreamFamily;
    private int _familyMismatchLogged;

    public TransparentSourceChooser(ListenerSettings settings, ListenerCounters counters, ILogger logger)
    {
        _settings = settings;
        _counters = counters;
        _logger = logger;
        _upstreamFamily = settings.Upstream.Address?.AddressFamily ?? AddressFamily.Unspecified;
    }

    /// <summary>False: reject the connection. True with a null <paramref name="source"/>: connect from the proxy's own address.</summary>
    public bool TryChoose(in FlowResolution resolution, IPEndPoint peer, out IPEndPoint? source)
    {
        if (resolution.IsFound)
        {
            ToaClient client = resolution.Client;
            if (client.Address.Family == _upstreamFamily)
            {
                Interlocked.Increment(ref _counters.WithToa);
                source = new IPEndPoint(client.Address.ToIPAddress(), client.Port);
                return true;
            }

            Interlocked.Increment(ref _counters.TransparentFamilyFallback);
            if (Interlocked.Exchange(ref _familyMismatchLogged, 1) == 0)
            {
                LogFamilyMismatch(_settings.Name, FamilyName(client.Address.Family), client.Address, FamilyName(_upstreamFamily), _settings.WithoutToa);
            }
        }

        switch (_settings.WithoutToa)
        {
            case WithoutToaPolicy.Peer:
                Interlocked.Increment(ref _counters.WithoutToaPeer);
                NetAddress peerAddress = NetAddress.FromIPAddress(peer.Address);
                source = peerAddress.Family == _upstreamFamily ? new IPEndPoint(peerAddress.ToIPAddress(), peer.Port) : null;
                return true;
            case WithoutToaPolicy.Local:
                Interlocked.Increment(ref _counters.WithoutToaLocal);
                source = null;
                return true;
            default:
                Interlocked.Increment(ref _counters.RejectedWithoutToa);
                source = null;
                return false;
        }
    }

    private static string FamilyName(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listener {Listener}: an {ClientFamily} client ({Client}, e.g. NAT64) cannot be transparent to an {UpstreamFamily} backend; such connections follow WithoutToa {Policy} (counted as transparent_family_fallback; logged once)")]
    private partial void LogFamilyMismatch(string listener, string clientFamily, NetAddress client, string upstreamFamily, WithoutToaPolicy policy);
}
