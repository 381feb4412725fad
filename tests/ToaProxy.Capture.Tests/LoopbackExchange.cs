using System.Net;
using System.Net.Sockets;

namespace ToaProxy.Capture.Tests;

/// <summary>
/// One real connection to a loopback listener: connect, "ping" to the server, "pong" back. The
/// listener saves SYNs (TCP_SAVE_SYN), so <see cref="SavedSyn"/> is the SYN exactly as TCP received
/// it, after every netfilter hook — an observer independent of the capture.
/// </summary>
internal sealed record LoopbackExchange(ushort ClientPort, ParsedTcpPacket SavedSyn, string ServerReceived, string ClientReceived)
{
    private const int SolTcp = 6;
    private const int TcpSaveSyn = 27;
    private const int TcpSavedSyn = 28;

    public static Socket Listen(IPAddress address)
    {
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(address, 0));
        listener.SetRawSocketOption(SolTcp, TcpSaveSyn, BitConverter.GetBytes(1));
        listener.Listen(16);
        return listener;
    }

    public static async Task<LoopbackExchange> RunAsync(Socket listener, CancellationToken cancellationToken)
    {
        var endpoint = (IPEndPoint)listener.LocalEndPoint!;
        using var client = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Task<Socket> accepted = listener.AcceptAsync(cancellationToken).AsTask();
        await client.ConnectAsync(endpoint, cancellationToken);
        await client.SendAsync("ping"u8.ToArray(), cancellationToken);
        using Socket server = await accepted;
        string serverReceived = await ReceiveAsync(server, 4, cancellationToken);

        byte[] savedSyn = new byte[512];
        int savedLength = server.GetRawSocketOption(SolTcp, TcpSavedSyn, savedSyn);

        await server.SendAsync("pong"u8.ToArray(), cancellationToken);
        string clientReceived = await ReceiveAsync(client, 4, cancellationToken);
        return new LoopbackExchange(
            (ushort)((IPEndPoint)client.LocalEndPoint!).Port, ParsedTcpPacket.Parse(savedSyn.AsSpan(0, savedLength)), serverReceived, clientReceived);
    }

    private static async Task<string> ReceiveAsync(Socket socket, int count, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[count];
        int received = 0;
        while (received < count)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(received), cancellationToken);
            if (n == 0)
            {
                break;
            }

            received += n;
        }

        return System.Text.Encoding.ASCII.GetString(buffer, 0, received);
    }
}
