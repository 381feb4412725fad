using ToaProxy.Protocol;

namespace ToaProxy.Capture;

/// <summary>
/// The one decode path every capture backend feeds. Called on the backend's capture thread, one
/// frame at a time, in arrival order; it never throws.
/// </summary>
public interface IFrameSink
{
    /// <summary>
    /// Handles one captured frame. <paramref name="frame"/> may be rewritten in place when
    /// <paramref name="mayModify"/> is true (NFQUEUE: the modified packet goes back in the verdict);
    /// returns true when it was modified.
    /// </summary>
    bool OnFrame(Span<byte> frame, LinkType linkType, bool mayModify);
}
