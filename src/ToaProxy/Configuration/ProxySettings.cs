using System.Net;

namespace ToaProxy.Configuration;

/// <summary>The validated, typed configuration the services run on.</summary>
public sealed record ProxySettings(
    CaptureSettings Capture,
    IReadOnlyList<ListenerSettings> Listeners,
    IPEndPoint? AdminEndpoint,
    TimeSpan ShutdownTimeout)
{
    public TransparentSettings Transparent { get; init; } = TransparentSettings.Default;

    public bool HasTransparentListener => Listeners.Any(l => l.Protocol == ProxyProtocolVersion.Transparent);
}
