using ToaProxy.Protocol;

namespace ToaProxy.Capture.Pcap;

/// <summary>One frame read from a capture file.</summary>
/// <param name="Timestamp">When the frame was captured.</param>
/// <param name="LinkType">The framing of <paramref name="Data"/>.</param>
/// <param name="Data">The captured bytes (possibly cut by the file's snap length).</param>
/// <param name="OriginalLength">The frame's length on the wire.</param>
public sealed record CapturedFrame(DateTimeOffset Timestamp, LinkType LinkType, byte[] Data, int OriginalLength);
