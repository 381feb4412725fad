using ToaProxy.Configuration;

namespace ToaProxy.Relay;

/// <summary>
/// One version of a listener's settings with what is built from them. A reload swaps the whole of
/// it at once, so a connection uses one version from accept to close.
/// </summary>
internal sealed record ListenerRuntime(ListenerSettings Settings, RealClientResolver Resolver, TransparentSourceChooser TransparentSources);
