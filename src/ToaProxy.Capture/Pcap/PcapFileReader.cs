using SharpPcap;
using SharpPcap.LibPcap;
using ToaProxy.Protocol;

namespace ToaProxy.Capture.Pcap;

/// <summary>
/// Reads a .pcap or .pcapng file (anything libpcap opens) frame by frame, for offline inspection and
/// tests. Allocates per frame: this is not a capture hot path.
/// </summary>
public sealed class PcapFileReader : IDisposable
{
    private readonly CaptureFileReaderDevice _device;

    /// <summary>Opens <paramref name="path"/>; throws <see cref="InvalidDataException"/> for an unreadable file or unsupported link type.</summary>
    public PcapFileReader(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Capture file '{path}' does not exist.", path);
        }

        _device = new CaptureFileReaderDevice(path);
        try
        {
            _device.Open();
            LinkType = PcapLinkTypes.ToLinkType(_device.LinkType)
                ?? throw new InvalidDataException($"Capture file '{path}' has link type {_device.LinkType}, which cannot be parsed.");
        }
        catch (PcapException exception)
        {
            _device.Dispose();
            throw new InvalidDataException($"Capture file '{path}' cannot be read: {exception.Message}", exception);
        }
        catch
        {
            _device.Dispose();
            throw;
        }
    }

    /// <summary>The framing of every frame in the file.</summary>
    public LinkType LinkType { get; }

    /// <summary>The remaining frames in file order; enumerates once.</summary>
    public IEnumerable<CapturedFrame> ReadFrames()
    {
        while (true)
        {
            var status = _device.GetNextPacket(out PacketCapture capture);
            if (status != GetPacketStatus.PacketRead)
            {
                if (status == GetPacketStatus.Error)
                {
                    throw new InvalidDataException($"Capture file '{_device.Name}' is damaged: {_device.LastError}");
                }

                yield break;
            }

            yield return ToFrame(capture);
        }
    }

    public void Dispose() => _device.Dispose();

    private CapturedFrame ToFrame(PacketCapture capture)
    {
        var timeval = capture.Header.Timeval;
        var timestamp = DateTimeOffset.FromUnixTimeSeconds((long)timeval.Seconds).AddTicks((long)timeval.MicroSeconds * TimeSpan.TicksPerMicrosecond);
        var raw = capture.GetPacket();
        return new CapturedFrame(timestamp, LinkType, raw.Data, raw.PacketLength);
    }
}
