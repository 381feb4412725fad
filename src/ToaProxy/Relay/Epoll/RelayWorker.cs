using System.Collections.Concurrent;
using System.ComponentModel;
using System.Net;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using static ToaProxy.Relay.Epoll.RelaySystemCalls;

namespace ToaProxy.Relay.Epoll;

/// <summary>
/// One event thread with its own epoll set. It accepts from every TCP listener and owns both sockets
/// of each connection it accepted until they close: a connection's events never cross threads, and
/// no call is made that the event does not need (data and FIN both come from epoll, EPOLLRDHUP).
/// Other threads reach a connection only through <see cref="Post"/>.
/// </summary>
internal sealed unsafe partial class RelayWorker : IDisposable
{
    public const int BufferSize = DuplexRelay.BufferSize;

    private const int MaxEvents = 256;
    private const int AcceptsPerWake = 32;
    private const int RetainedBuffers = 64;
    private const long AcceptPauseMs = 50;
    private const ulong WakeToken = ulong.MaxValue;
    private const ulong ListenerToken = 1UL << 62;

    private readonly int _epoll;
    private readonly int _wakeFd;
    private readonly Thread _thread;
    private readonly ILogger _logger;
    private readonly ConcurrentQueue<Action> _posted = new();
    private readonly Dictionary<int, AcceptSource> _listeners = [];
    private readonly List<(AcceptSource Source, long Until)> _paused = [];
    private readonly List<EpollConnection> _again = [];
    private readonly List<EpollConnection> _runningAgain = [];
    private readonly List<EpollConnection> _connecting = [];
    private readonly Stack<int> _freeSlots = new();
    private readonly byte* _events;
    private EpollConnection?[] _slots = new EpollConnection?[256];
    private uint[] _generations = new uint[256];
    private int _usedSlots;
    private long _nextDeadline = long.MaxValue;
    private int _wakePending;
    private volatile bool _stopping;
    private volatile bool _ended;

    public RelayWorker(int id, ILogger logger)
    {
        _logger = logger;
        _epoll = EpollCreate(EpollCloExec);
        if (_epoll < 0)
        {
            throw new Win32Exception(LastError, "epoll_create1 failed");
        }

        _wakeFd = EventFd(0, EfdNonBlock | EfdCloExec);
        if (_wakeFd < 0)
        {
            int error = LastError;
            Close(_epoll);
            throw new Win32Exception(error, "eventfd failed");
        }

        Control(EpollCtlAdd, _wakeFd, EpollIn, WakeToken);
        _events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * EpollEventSize));
        Buffers = new NativeBufferPool(BufferSize, RetainedBuffers);
        Scratch = (byte*)NativeMemory.Alloc(BufferSize);
        _thread = new Thread(Run) { IsBackground = true, Name = $"toa-relay-{id}" };
    }

    /// <summary>One receive buffer shared by the worker's connections: a direction takes its own only when the destination cannot take all it received.</summary>
    public byte* Scratch { get; }

    public NativeBufferPool Buffers { get; }

    public void Start() => _thread.Start();

    /// <summary>Runs <paramref name="action"/> on this worker's thread; from any thread.</summary>
    public void Post(Action action)
    {
        if (_ended)
        {
            // The thread is gone and its connections with it: what is posted now only completes.
            action();
            return;
        }

        _posted.Enqueue(action);
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            ulong one = 1;
            Write(_wakeFd, &one, sizeof(ulong));
        }
    }

    /// <summary>Runs a step of <paramref name="connection"/> on this worker's thread; a failure no socket error explains resets that connection.</summary>
    public void Post(EpollConnection connection, Action<EpollConnection> step) =>
        Post(() => Guard(connection, static (c, s) => s(c), step));

    public void AddListener(AcceptSource source) => Post(() =>
    {
        _listeners[source.Id] = source;
        Control(EpollCtlAdd, source.Fd, EpollIn | EpollExclusive, ListenerToken | (uint)source.Id);
    });

    public void RemoveListener(AcceptSource source, Action removed) => Post(() =>
    {
        if (_listeners.Remove(source.Id) && !_ended)
        {
            EpollCtl(_epoll, EpollCtlDel, source.Fd, null);
        }

        _paused.RemoveAll(p => p.Source == source);
        removed();
    });

    /// <summary>Gives the connection a slot; its epoll tokens carry the slot's generation, so an event queued for a closed connection is not delivered to the next one in the slot.</summary>
    public void Register(EpollConnection connection)
    {
        if (!_freeSlots.TryPop(out int slot))
        {
            if (_usedSlots == _slots.Length)
            {
                Array.Resize(ref _slots, _slots.Length * 2);
                Array.Resize(ref _generations, _generations.Length * 2);
            }

            slot = _usedSlots++;
        }

        _slots[slot] = connection;
        connection.Slot = slot;
        connection.Generation = ++_generations[slot];
    }

    public void Unregister(EpollConnection connection)
    {
        _slots[connection.Slot] = null;
        _freeSlots.Push(connection.Slot);
    }

    /// <summary>Adds a connection's socket, edge-triggered for input, output and the peer's FIN; false with errno on failure.</summary>
    public bool Watch(EpollConnection connection, int fd, int side) =>
        Control(EpollCtlAdd, fd, EpollIn | EpollOut | EpollRdHup | EpollEt, ((ulong)connection.Generation << 32) | ((uint)connection.Slot << 1) | (uint)side, throwOnError: false);

    /// <summary>Runs the connection again after this round of events: it stopped with data still readable so others get a turn.</summary>
    public void RunAgain(EpollConnection connection) => _again.Add(connection);

    public void AddConnecting(EpollConnection connection)
    {
        connection.ConnectingIndex = _connecting.Count;
        _connecting.Add(connection);
        _nextDeadline = Math.Min(_nextDeadline, connection.ConnectDeadline);
    }

    public void RemoveConnecting(EpollConnection connection)
    {
        int index = connection.ConnectingIndex;
        if (index < 0)
        {
            return;
        }

        int last = _connecting.Count - 1;
        EpollConnection moved = _connecting[last];
        _connecting[index] = moved;
        moved.ConnectingIndex = index;
        _connecting.RemoveAt(last);
        connection.ConnectingIndex = -1;
    }

    /// <summary>Stops the thread; connections still open are reset. Returns when the thread has ended.</summary>
    public void Dispose()
    {
        if (!_stopping)
        {
            _stopping = true;
            Post(static () => { });
        }

        if (_thread.IsAlive && Thread.CurrentThread != _thread)
        {
            _thread.Join();
        }
    }

    private void Run()
    {
        try
        {
            while (!_stopping)
            {
                int count = EpollWait(_epoll, _events, MaxEvents, NextTimeout());
                if (count < 0)
                {
                    if (LastError == EIntr)
                    {
                        continue;
                    }

                    throw new Win32Exception(LastError, "epoll_wait failed");
                }

                for (int i = 0; i < count; i++)
                {
                    byte* entry = _events + (i * EpollEventSize);
                    Dispatch(*(uint*)entry, *(ulong*)(entry + EpollDataOffset));
                }

                RunPosted();
                RunDeferred();
                CheckTimers();
            }
        }
        catch (Exception e)
        {
            LogWorkerFailed(e, _thread.Name);
        }
        finally
        {
            ResetAll();
            _ended = true;
            RunPosted();
            Close(_wakeFd);
            Close(_epoll);
            NativeMemory.Free(_events);
            NativeMemory.Free(Scratch);
            Buffers.Dispose();
        }
    }

    private void Dispatch(uint events, ulong token)
    {
        if (token == WakeToken)
        {
            ulong value;
            Read(_wakeFd, &value, sizeof(ulong));
            Volatile.Write(ref _wakePending, 0);
            return;
        }

        if ((token & ListenerToken) != 0)
        {
            if (_listeners.TryGetValue((int)(uint)token, out AcceptSource? source))
            {
                Accept(source);
            }

            return;
        }

        int slot = (int)((uint)token >> 1);
        if (_slots[slot] is { } connection && connection.Generation == (uint)(token >> 32))
        {
            Guard(connection, static (c, e) => c.OnSocketEvent(e.Side, e.Events), (Side: (int)(token & 1), Events: events));
        }
    }

    private void Accept(AcceptSource source)
    {
        byte* address = stackalloc byte[SocketAddressCodec.MaxLength];
        for (int i = 0; i < AcceptsPerWake; i++)
        {
            int length = SocketAddressCodec.MaxLength;
            int fd = Accept4(source.Fd, address, &length, SockNonBlock | SockCloExec);
            if (fd < 0)
            {
                int error = LastError;
                if (error is EIntr or ECONNABORTED)
                {
                    continue;
                }

                if (error != EAgain)
                {
                    // EMFILE and friends: the socket stays readable, so pause it rather than spin.
                    source.Acceptor.OnAcceptFailed(error);
                    EpollCtl(_epoll, EpollCtlDel, source.Fd, null);
                    _paused.Add((source, Environment.TickCount64 + AcceptPauseMs));
                }

                return;
            }

            IPEndPoint? peer = SocketAddressCodec.Read(new ReadOnlySpan<byte>(address, length));
            if (peer is null)
            {
                Close(fd);
                continue;
            }

            EpollConnection? connection;
            try
            {
                connection = source.Acceptor.OnAccepted(this, fd, peer);
            }
            catch (Exception e)
            {
                // The acceptor owns the descriptor from the call on, so it is not closed here.
                LogAcceptHandlerFailed(e, _thread.Name);
                continue;
            }

            if (connection is not null)
            {
                Guard(connection, static (c, _) => c.Start(), 0);
            }
        }
    }

    private void RunPosted()
    {
        while (_posted.TryDequeue(out Action? action))
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                LogPostedStepFailed(e, _thread.Name);
            }
        }
    }

    private void RunDeferred()
    {
        if (_again.Count == 0)
        {
            return;
        }

        _runningAgain.AddRange(_again);
        _again.Clear();
        foreach (EpollConnection connection in _runningAgain)
        {
            Guard(connection, static (c, _) => c.Resume(), 0);
        }

        _runningAgain.Clear();
    }

    private void CheckTimers()
    {
        long now = Environment.TickCount64;
        if (_paused.Count > 0)
        {
            for (int i = _paused.Count - 1; i >= 0; i--)
            {
                (AcceptSource source, long until) = _paused[i];
                if (until <= now)
                {
                    _paused.RemoveAt(i);
                    Control(EpollCtlAdd, source.Fd, EpollIn | EpollExclusive, ListenerToken | (uint)source.Id, throwOnError: false);
                }
            }
        }

        if (now < _nextDeadline)
        {
            return;
        }

        _nextDeadline = long.MaxValue;
        for (int i = _connecting.Count - 1; i >= 0; i--)
        {
            if (i >= _connecting.Count)
            {
                continue;
            }

            EpollConnection connection = _connecting[i];
            if (connection.ConnectDeadline <= now)
            {
                Guard(connection, static (c, _) => c.OnConnectTimeout(), 0);
            }
            else
            {
                _nextDeadline = Math.Min(_nextDeadline, connection.ConnectDeadline);
            }
        }
    }

    private int NextTimeout()
    {
        if (_again.Count > 0 || !_posted.IsEmpty)
        {
            return 0;
        }

        long until = _nextDeadline;
        foreach ((AcceptSource _, long pausedUntil) in _paused)
        {
            until = Math.Min(until, pausedUntil);
        }

        return until == long.MaxValue ? -1 : (int)Math.Clamp(until - Environment.TickCount64, 0, 1000);
    }

    private void Guard<TState>(EpollConnection connection, Action<EpollConnection, TState> step, TState state)
    {
        try
        {
            step(connection, state);
        }
        catch (Exception e)
        {
            // A bug, not a network event: reset this connection, keep the worker and its other connections.
            connection.Fail(e);
        }
    }

    private void ResetAll()
    {
        for (int i = 0; i < _usedSlots; i++)
        {
            _slots[i]?.ResetNow();
        }
    }

    private bool Control(int operation, int fd, uint events, ulong token, bool throwOnError = true)
    {
        byte* entry = stackalloc byte[16];
        *(uint*)entry = events;
        *(ulong*)(entry + EpollDataOffset) = token;
        if (EpollCtl(_epoll, operation, fd, entry) == 0)
        {
            return true;
        }

        return throwOnError ? throw new Win32Exception(LastError, "epoll_ctl failed") : false;
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "Relay worker {Worker} failed; its connections are reset")]
    private partial void LogWorkerFailed(Exception e, string? worker);

    [LoggerMessage(Level = LogLevel.Error, Message = "Relay worker {Worker}: unexpected failure taking an accepted connection")]
    private partial void LogAcceptHandlerFailed(Exception e, string? worker);

    [LoggerMessage(Level = LogLevel.Error, Message = "Relay worker {Worker}: a step posted to it failed")]
    private partial void LogPostedStepFailed(Exception e, string? worker);
}
