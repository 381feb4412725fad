using System.Diagnostics;
using ToaProxy.Capture.Pcap;
using ToaProxy.Capture.Tests.Support;
using ToaProxy.Protocol;
using ToaProxy.Testing;

namespace ToaProxy.Capture.Tests.Pcap;

public sealed class PcapFileReaderTests : IDisposable
{
    private static readonly DateTimeOffset FirstTime = new(2026, 11, 25, 8, 0, 0, TimeSpan.Zero);
    private readonly string _directory = Directory.CreateTempSubdirectory("toaproxy-pcap-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsRawIpFramesWithTimestamps(bool pcapNg)
    {
        var syn = TestPacket.Tcp(4, 443, TcpFlags.Syn, tcpOptionBytes: 20);
        var ack = TestPacket.Tcp(6, 443, TcpFlags.Ack, tcpOptionBytes: 12, payloadLength: 5);
        (DateTimeOffset, byte[])[] frames = [(FirstTime, syn), (FirstTime.AddTicks(1234 * TimeSpan.TicksPerMicrosecond), ack)];
        string path = Write(pcapNg ? "raw.pcapng" : "raw.pcap", pcapNg ? CaptureFileBuilder.PcapNg(101, frames) : CaptureFileBuilder.Pcap(101, frames));

        using var reader = new PcapFileReader(path);
        var read = reader.ReadFrames().ToList();

        Assert.Equal(LinkType.RawIp, reader.LinkType);
        Assert.Equal(2, read.Count);
        Assert.Equal(syn, read[0].Data);
        Assert.Equal(ack, read[1].Data);
        Assert.Equal(FirstTime, read[0].Timestamp);
        Assert.Equal(FirstTime.AddTicks(1234 * TimeSpan.TicksPerMicrosecond), read[1].Timestamp);
        Assert.Equal(syn.Length, read[0].OriginalLength);
        Assert.All(read, f => Assert.Equal(LinkType.RawIp, f.LinkType));
        Assert.Equal(443, TestFrameParser.Parse(read[1].Data, read[1].LinkType)!.Value.DestinationPort);
    }

    [Fact]
    public void ReadsEthernetFrames()
    {
        var ip = TestPacket.Tcp(4, 80, TcpFlags.Syn);
        var frame = new byte[14 + ip.Length];
        frame[12] = 0x08;
        ip.CopyTo(frame, 14);
        string path = Write("ether.pcap", CaptureFileBuilder.Pcap(1, (FirstTime, frame)));

        using var reader = new PcapFileReader(path);
        var only = Assert.Single(reader.ReadFrames());

        Assert.Equal(LinkType.Ethernet, only.LinkType);
        Assert.True(TestFrameParser.Parse(only.Data, only.LinkType)!.Value.IsSyn);
    }

    [Fact]
    public void UnsupportedLinkTypeAndGarbageAreInvalidData()
    {
        string nullLink = Write("null.pcap", CaptureFileBuilder.Pcap(0, (FirstTime, new byte[8])));
        string garbage = Write("garbage.pcap", [1, 2, 3, 4, 5, 6, 7, 8]);

        Assert.Throws<InvalidDataException>(() => new PcapFileReader(nullLink));
        Assert.Throws<InvalidDataException>(() => new PcapFileReader(garbage));
        Assert.Throws<FileNotFoundException>(() => new PcapFileReader(Path.Combine(_directory, "missing.pcap")));
    }

    [SkippableFact]
    public async Task ReadsWhatTcpdumpCapturedOnLoopback()
    {
        Requires.Root();
        string tcpdump = Requires.Command("tcpdump");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var listener = new LoopbackListener("127.0.0.1");
        string path = Path.Combine(_directory, "lo.pcap");

        // -c 1: exit after the SYN; -U --immediate-mode: write it at once.
        var startInfo = new ProcessStartInfo(tcpdump, ["-i", "lo", "-Q", "in", "-U", "--immediate-mode", "-c", "1", "-w", path, $"tcp dst port {listener.Port} and tcp[13] & 2 != 0"])
        {
            RedirectStandardError = true,
        };
        using var process = Process.Start(startInfo)!;
        try
        {
            // tcpdump announces "listening on lo" once its filter is in place.
            string? line;
            while ((line = await process.StandardError.ReadLineAsync(timeout.Token)) is not null && !line.Contains("listening on", StringComparison.Ordinal))
            {
            }

            var (client, server) = await listener.ConnectAsync(timeout.Token);
            client.Dispose();
            server.Dispose();
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }

        using var reader = new PcapFileReader(path);
        var only = Assert.Single(reader.ReadFrames());
        Assert.Equal(LinkType.Ethernet, reader.LinkType);
        var syn = TestFrameParser.Parse(only.Data, only.LinkType)!.Value;
        Assert.True(syn.IsSyn);
        Assert.Equal(listener.Port, syn.DestinationPort);
        Assert.InRange(only.Timestamp, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    private string Write(string name, byte[] content)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, content);
        return path;
    }
}
