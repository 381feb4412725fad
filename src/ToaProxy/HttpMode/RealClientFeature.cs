using System.Net;

namespace ToaProxy.HttpMode;

/// <summary>
/// Set on each HTTP-mode connection by <see cref="RealClientConnectionMiddleware"/>: the TCP peer
/// (whose forwarded headers are trusted or not) and the real client (null when WithoutToa is local,
/// i.e. no client is named).
/// </summary>
public sealed record RealClientFeature(IPEndPoint TcpPeer, IPEndPoint? Client);
