using System.Runtime.InteropServices;

namespace ToaProxy.Capture.Netlink;

/// <summary>struct nlmsgerr: a negative errno (0 for an acknowledgment) and the header of the request it answers.</summary>
internal readonly record struct NetlinkError(int ErrorNumber, uint RequestSequence)
{
    public static bool TryRead(in NetlinkMessageHeader header, ReadOnlySpan<byte> message, out NetlinkError error)
    {
        const int BodySize = 4 + NetlinkMessageHeader.Size;
        if (header.Type != NetlinkMessageHeader.TypeError || message.Length < NetlinkMessageHeader.Size + BodySize)
        {
            error = default;
            return false;
        }

        ReadOnlySpan<byte> body = message[NetlinkMessageHeader.Size..];
        NetlinkMessageHeader.TryRead(body[4..], out NetlinkMessageHeader request);
        error = new NetlinkError(-MemoryMarshal.Read<int>(body), request.Sequence);
        return true;
    }

    public bool IsAcknowledgment => ErrorNumber == 0;

    public string Describe() => $"{Marshal.GetPInvokeErrorMessage(ErrorNumber)} (errno {ErrorNumber})";
}
