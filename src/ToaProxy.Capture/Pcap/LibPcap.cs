using System.Runtime.InteropServices;
using SharpPcap.LibPcap;

namespace ToaProxy.Capture.Pcap;

/// <summary>
/// The libpcap calls SharpPcap does not expose: GetNextPacket allocates a header object per packet
/// while pcap_next_ex hands out pointers into libpcap's own buffer; there is no selectable fd or
/// direction setter.
/// </summary>
internal static unsafe partial class LibPcap
{
    /// <summary>pcap_next_ex: a packet was read.</summary>
    public const int PacketRead = 1;

    /// <summary>pcap_next_ex in non-blocking mode: no packet is available now.</summary>
    public const int NoPacketAvailable = 0;

    /// <summary>Offset of caplen in struct pcap_pkthdr: after struct timeval, two C longs.</summary>
    public static readonly int CaptureLengthOffset = 2 * IntPtr.Size;

    [LibraryImport("pcap", EntryPoint = "pcap_next_ex")]
    public static partial int NextEx(PcapHandle handle, out byte* header, out byte* data);

    /// <summary>pcap_direction_t PCAP_D_IN.</summary>
    public const int DirectionIn = 1;

    [LibraryImport("pcap", EntryPoint = "pcap_setdirection")]
    public static partial int SetDirection(PcapHandle handle, int direction);

    [LibraryImport("pcap", EntryPoint = "pcap_get_selectable_fd")]
    public static partial int GetSelectableFd(PcapHandle handle);
}
