using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using ToaProxy.Capture.Netlink;

namespace ToaProxy.Capture.Nfqueue;

/// <summary>
/// A netlink socket bound to one NFQUEUE queue number in copy-packet mode. One thread calls
/// <see cref="ReceiveAndVerdict"/> in a loop: every packet goes through the handler and then gets
/// an accept verdict (with the rewritten packet when the handler rewrote it), so the kernel lets a
/// packet go only after the handler has returned. Allocation-free per packet: both buffers are reused.
/// </summary>
internal sealed class NfqueueSocket : IDisposable
{
    /// <summary>Larger than any message a 64 KiB copy range can produce.</summary>
    private const int ReceiveBufferSize = 128 * 1024;
    private static readonly TimeSpan AcknowledgmentTimeout = TimeSpan.FromSeconds(5);

    private readonly NetlinkSocket _socket;
    private readonly byte[] _receiveBuffer = new byte[ReceiveBufferSize];
    private readonly NfqueueVerdictBuffer _verdict = new();
    private readonly bool _rewritesPackets;
    private uint _sequence;
    private long _packetsReceived;
    private long _overruns;
    private long _verdictErrors;
    private long _handlerErrors;

    private NfqueueSocket(NetlinkSocket socket, ushort queueNumber, bool rewritesPackets)
    {
        _socket = socket;
        QueueNumber = queueNumber;
        _rewritesPackets = rewritesPackets;
    }

    public ushort QueueNumber { get; }

    public long PacketsReceived => Volatile.Read(ref _packetsReceived);

    /// <summary>ENOBUFS reports: the socket buffer overflowed at least once since the previous report.</summary>
    public long Overruns => Volatile.Read(ref _overruns);

    /// <summary>Verdicts the kernel refused (or could not be sent); a refused verdict with a payload drops the packet.</summary>
    public long VerdictErrors => Volatile.Read(ref _verdictErrors);

    /// <summary>Handlers that threw; their packets were accepted unchanged.</summary>
    public long HandlerErrors => Volatile.Read(ref _handlerErrors);

    /// <summary>
    /// Binds <paramref name="queueNumber"/>. <paramref name="rewritesPackets"/>: handlers get packets
    /// they may rewrite (one copy into the verdict buffer per packet); otherwise they see the received bytes.
    /// </summary>
    public static NfqueueSocket Bind(ushort queueNumber, NfqueueSocketSettings settings, bool rewritesPackets)
    {
        NetlinkSocket socket;
        try
        {
            socket = NetlinkSocket.Open(NetlinkSocket.NetlinkNetfilter);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            throw new IOException($"NFQUEUE {queueNumber}: cannot open a netlink socket: {e.Message}", e);
        }

        var queue = new NfqueueSocket(socket, queueNumber, rewritesPackets);
        try
        {
            socket.SetReceiveBufferSize(settings.SocketReceiveBufferBytes);
            Span<byte> request = stackalloc byte[128];
            queue.Request(NfqueueConfigRequest.WriteBind(request, ++queue._sequence, queueNumber, settings.MaxQueueLength, settings.FailOpen), "bind");
            return queue;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Handles the packets of one datagram if one is waiting, else waits up to
    /// <paramref name="waitMicroseconds"/> for one. Returns the packets handled. Survivable
    /// conditions (ENOBUFS, refused verdicts) are counted; other socket errors throw.
    /// </summary>
    public int ReceiveAndVerdict(IQueuedPacketHandler handler, int waitMicroseconds)
    {
        int received = _socket.Receive(_receiveBuffer, out SocketError error);
        if (error == SocketError.WouldBlock)
        {
            _socket.WaitReadable(waitMicroseconds);
            return 0;
        }

        if (error == SocketError.NoBufferSpaceAvailable)
        {
            // The kernel could not deliver some packets to us; with fail-open it accepted them, else dropped them.
            Interlocked.Increment(ref _overruns);
            return 0;
        }

        if (error != SocketError.Success)
        {
            throw new SocketException((int)error);
        }

        int handled = 0;
        var messages = new NetlinkMessageReader(_receiveBuffer.AsSpan(0, received));
        while (messages.MoveNext())
        {
            if (NfqueuePacket.TryParse(messages.Current, out NfqueuePacket packet))
            {
                Handle(handler, packet);
                handled++;
            }
            else if (NetlinkError.TryRead(messages.CurrentHeader, messages.Current, out NetlinkError reply) && !reply.IsAcknowledgment)
            {
                Interlocked.Increment(ref _verdictErrors);
            }
        }

        return handled;
    }

    /// <summary>
    /// After the caller's rules are gone: answers the packets queued before, until the socket has
    /// stayed quiet for <paramref name="quietPeriod"/>, so that closing it drops nothing.
    /// </summary>
    public void Drain(IQueuedPacketHandler handler, TimeSpan quietPeriod)
    {
        long quietSince = Environment.TickCount64;
        int waitMicroseconds = (int)(quietPeriod.TotalMicroseconds / 4);
        while (Environment.TickCount64 - quietSince < quietPeriod.TotalMilliseconds)
        {
            if (ReceiveAndVerdict(handler, waitMicroseconds) > 0)
            {
                quietSince = Environment.TickCount64;
            }
        }
    }

    /// <summary>Releases the queue number; packets still queued to it are dropped by the kernel,
    /// so callers remove their rules and drain first.</summary>
    public void Unbind()
    {
        Span<byte> request = stackalloc byte[64];
        Request(NfqueueConfigRequest.WriteUnbind(request, ++_sequence, QueueNumber), "unbind");
    }

    public void Dispose() => _socket.Dispose();

    private void Handle(IQueuedPacketHandler handler, in NfqueuePacket packet)
    {
        Interlocked.Increment(ref _packetsReceived);
        int rewrittenLength = -1;
        try
        {
            if (_rewritesPackets && !packet.IsTruncated)
            {
                Span<byte> area = _verdict.PacketArea;
                packet.Payload.CopyTo(area);
                rewrittenLength = handler.OnQueuedPacket(area, packet.Payload.Length, mayRewrite: true);
            }
            else
            {
                // The payload is a view into our own receive buffer, so handing it out writable is safe.
                Span<byte> received = MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(packet.Payload), packet.Payload.Length);
                handler.OnQueuedPacket(received, received.Length, mayRewrite: false);
            }
        }
        catch (Exception)
        {
            // A handler must not keep the packet from its verdict: an unanswered packet stalls the connection.
            Interlocked.Increment(ref _handlerErrors);
            rewrittenLength = -1;
        }

        ReadOnlySpan<byte> verdict = _verdict.Build(QueueNumber, packet.PacketId, NfqueueAbi.VerdictAccept, rewrittenLength);
        _socket.Send(verdict, out SocketError error);
        if (error != SocketError.Success)
        {
            Interlocked.Increment(ref _verdictErrors);
        }
    }

    /// <summary>Sends a configuration request and waits for its acknowledgment; packets that arrive
    /// meanwhile are accepted unchanged so they are not held.</summary>
    private void Request(ReadOnlySpan<byte> request, string what)
    {
        uint sequence = NetlinkMessageHeader.TryRead(request, out NetlinkMessageHeader header) ? header.Sequence : 0;
        _socket.Send(request, out SocketError sendError);
        if (sendError != SocketError.Success)
        {
            throw new IOException($"NFQUEUE {QueueNumber}: {what} request could not be sent: {sendError}");
        }

        long deadline = Stopwatch.GetTimestamp() + (long)(AcknowledgmentTimeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            int received = _socket.Receive(_receiveBuffer, out SocketError error);
            if (error == SocketError.WouldBlock)
            {
                _socket.WaitReadable(100_000);
                continue;
            }

            if (error != SocketError.Success)
            {
                throw new IOException($"NFQUEUE {QueueNumber}: waiting for the {what} acknowledgment failed: {error}");
            }

            var messages = new NetlinkMessageReader(_receiveBuffer.AsSpan(0, received));
            while (messages.MoveNext())
            {
                if (NetlinkError.TryRead(messages.CurrentHeader, messages.Current, out NetlinkError reply) && reply.RequestSequence == sequence)
                {
                    if (!reply.IsAcknowledgment)
                    {
                        // The kernel answers EPERM, not EBUSY, when another socket already owns the queue.
                        string hint = reply.ErrorNumber == 1 ? " — another process may have bound this queue, or this one lacks CAP_NET_ADMIN" : string.Empty;
                        throw new IOException($"NFQUEUE {QueueNumber}: the kernel refused {what}: {reply.Describe()}{hint}");
                    }

                    return;
                }

                if (NfqueuePacket.TryParse(messages.Current, out NfqueuePacket packet))
                {
                    _socket.Send(_verdict.Build(QueueNumber, packet.PacketId, NfqueueAbi.VerdictAccept, -1), out _);
                }
            }
        }

        throw new IOException($"NFQUEUE {QueueNumber}: no acknowledgment of {what} within {AcknowledgmentTimeout.TotalSeconds} s");
    }
}
