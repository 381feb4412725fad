using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ToaProxy.Capture.Iptables;
using ToaProxy.Capture.Nfqueue;
using ToaProxy.Protocol;

namespace ToaProxy.Capture.Emulation;

/// <summary>
/// Emulates a TOA-inserting load balancer on this host: an OUTPUT NFQUEUE rule (IPv4 and IPv6, its
/// own tagged rules, removed on dispose) sends the chosen client-to-server packets of connections to
/// a port through this reader, which inserts the option and hands the packet back rewritten.
/// </summary>
public sealed class TcpOptionInjector : IAsyncDisposable, IQueuedPacketHandler
{
    private const int WaitMicroseconds = 50_000;

    private static readonly NfqueueSocketSettings Settings = new(MaxQueueLength: 4096, SocketReceiveBufferBytes: 4 * 1024 * 1024, FailOpen: false);

    private readonly TcpOptionInjectorOptions _options;
    private readonly ILogger _logger;
    private readonly NfqueueSocket _queue;
    private readonly IptablesRuleSet _rules;
    private readonly Thread _thread;
    private readonly TaskCompletionSource _threadExited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopRequested;
    private volatile Exception? _fault;
    private long _packetsRewritten;
    private long _packetsUnchanged;
    private int _lastFailure = -1;
    private int _disposed;

    private TcpOptionInjector(TcpOptionInjectorOptions options, ILogger logger, NfqueueSocket queue, IptablesRuleSet rules)
    {
        _options = options;
        _logger = logger;
        _queue = queue;
        _rules = rules;
        _thread = new Thread(Run) { IsBackground = true, Name = $"toa-injector-{options.QueueNumber}" };
    }

    /// <summary>Queued packets seen (also those left unchanged).</summary>
    public long PacketsSeen => _queue.PacketsReceived;

    public long PacketsRewritten => Volatile.Read(ref _packetsRewritten);

    /// <summary>Queued packets not rewritten: not the kind of packet selected, no option chosen, or the insert failed.</summary>
    public long PacketsUnchanged => Volatile.Read(ref _packetsUnchanged);

    /// <summary>Why the most recent failed insert failed (e.g. <see cref="TcpOptionInsertStatus.NoRoom"/>), if any did.</summary>
    public TcpOptionInsertStatus? LastInsertFailure => Volatile.Read(ref _lastFailure) is int failure and >= 0 ? (TcpOptionInsertStatus)failure : null;

    /// <summary>The socket error that stopped the injector, if one did (packets then pass unmodified: --queue-bypass).</summary>
    public Exception? Fault => _fault;

    /// <summary>Binds the queue, installs the OUTPUT rules and starts rewriting.</summary>
    public static TcpOptionInjector Start(TcpOptionInjectorOptions options, ILogger<TcpOptionInjector>? logger = null)
    {
        NfqueueSocket queue = NfqueueSocket.Bind(options.QueueNumber, Settings, rewritesPackets: true);
        var rules = new IptablesRuleSet(options.RuleTag);
        try
        {
            foreach (IptablesFamily family in (IptablesFamily[])[IptablesFamily.IPv4, IptablesFamily.IPv6])
            {
                rules.Add(options.Packets == ToaInjectionPackets.Syn
                    ? NfqueueRule.ForOutgoingSyn(family, options.DestinationPort, options.QueueNumber)
                    : NfqueueRule.ForOutgoingHandshake(family, options.DestinationPort, options.QueueNumber, includeSyn: options.Packets.HasFlag(ToaInjectionPackets.Syn)));
            }
        }
        catch
        {
            rules.Dispose();
            queue.Dispose();
            throw;
        }

        var injector = new TcpOptionInjector(options, logger ?? NullLogger<TcpOptionInjector>.Instance, queue, rules);
        injector._thread.Start();
        return injector;
    }

    /// <summary>Removes the rules, answers what is still queued, then releases the queue.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            _rules.RemoveAdded();
        }
        finally
        {
            _stopRequested = true;
            await _threadExited.Task.ConfigureAwait(false);
            _queue.Dispose();
        }
    }

    int IQueuedPacketHandler.OnQueuedPacket(Span<byte> buffer, int length, bool mayRewrite)
    {
        int rewritten = mayRewrite ? Rewrite(buffer, length) : -1;
        Interlocked.Increment(ref rewritten >= 0 ? ref _packetsRewritten : ref _packetsUnchanged);
        return rewritten;
    }

    private int Rewrite(Span<byte> buffer, int length)
    {
        ReadOnlySpan<byte> packet = buffer[..length];
        if (RawTcpPacketLayout.TryRead(packet, out RawTcpPacketLayout layout) != FrameParseStatus.Ok)
        {
            return -1;
        }

        TcpFlags flags = layout.ReadFlags(packet);
        bool isSyn = (flags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn;
        bool selected = isSyn
            ? _options.Packets.HasFlag(ToaInjectionPackets.Syn)
            : (flags & (TcpFlags.Syn | TcpFlags.Rst)) == 0 && _options.Packets.HasFlag(ToaInjectionPackets.HandshakeAckAndFirstData);
        if (!selected)
        {
            return -1;
        }

        Span<byte> option = stackalloc byte[TcpOptionInserter.MaxOptionSpace];
        int optionLength = _options.Option(layout.ReadReceiverKey(packet), option);
        if (optionLength <= 0)
        {
            return -1;
        }

        if (AlreadyCarries(packet, option[..optionLength]))
        {
            // A packet seen twice (a retransmission built from an already rewritten copy, or a second
            // pass through the hook) keeps its one option: a load balancer inserts TOA once.
            return -1;
        }

        TcpOptionInsertResult result = TcpOptionInserter.Insert(buffer, length, option[..optionLength]);
        if (!result.Succeeded)
        {
            Volatile.Write(ref _lastFailure, (int)result.Status);
            return -1;
        }

        return result.PacketLength;
    }

    private static bool AlreadyCarries(ReadOnlySpan<byte> packet, ReadOnlySpan<byte> option)
    {
        if (option.Length < 2 || TcpFrameReader.TryRead(packet, LinkType.RawIp, out TcpSegment segment) != FrameParseStatus.Ok)
        {
            return false;
        }

        foreach (TcpOption existing in new TcpOptionReader(segment.Options))
        {
            if (existing.Kind == option[0] && existing.Length == option[1])
            {
                return true;
            }
        }

        return false;
    }

    private void Run()
    {
        try
        {
            while (!_stopRequested)
            {
                _queue.ReceiveAndVerdict(this, WaitMicroseconds);
            }

            _queue.Drain(this, TimeSpan.FromMilliseconds(20));
        }
        catch (Exception e)
        {
            _fault = e;
            _logger.LogError(e, "TOA injector on NFQUEUE {Queue} stopped by a socket error", _options.QueueNumber);

            // Unanswered packets would stall the port's connections: with the rules gone and the
            // queue closed, they pass unmodified.
            try
            {
                _rules.RemoveAdded();
            }
            catch (AggregateException removeError)
            {
                _logger.LogError(removeError, "TOA injector on NFQUEUE {Queue}: removing its rules after the fault failed", _options.QueueNumber);
            }

            _queue.Dispose();
        }
        finally
        {
            _threadExited.TrySetResult();
        }
    }
}
