using System.Net;
using System.Net.Sockets;
using ToaProxy.Protocol;

namespace ToaProxy.Tests.Cli;

/// <summary>
/// A loopback listener that keeps each connection's SYN as the kernel received it (TCP_SAVE_SYN), so a
/// test can read the options the emulated load balancer inserted without any capture.
/// </summary>
internal sealed class SavedSynListener : IDisposable
{
    private const int IpProtoTcp = 6;
    private const int TcpSaveSyn = 27;
    private const int TcpSavedSyn = 28;
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public SavedSynListener()
    {
        _socket.SetRawSocketOption(IpProtoTcp, TcpSaveSyn, BitConverter.GetBytes(1));
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _socket.Listen();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>Connects to itself and returns the client's port and the TOA options of the SYN as received.</summary>
    public async Task<(int ClientPort, ToaOption[] Options)> ConnectAndReadSynAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(EndPoint, cts.Token);
        using Socket accepted = await _socket.AcceptAsync(cts.Token);
        byte[] syn = new byte[512];
        int length = accepted.GetRawSocketOption(IpProtoTcp, TcpSavedSyn, syn);
        Assert.Equal(FrameParseStatus.Ok, TcpFrameReader.TryRead(syn.AsSpan(0, length), LinkType.RawIp, out TcpSegment segment));
        var options = new ToaOption[4];
        ToaScanResult scan = ToaDecoder.Scan(segment.Options, ToaOptionTable.Default, options);
        return (((IPEndPoint)client.LocalEndPoint!).Port, options[..scan.Count]);
    }

    public void Dispose() => _socket.Dispose();
}
