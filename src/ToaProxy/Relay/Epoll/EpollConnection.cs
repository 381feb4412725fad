using System.Diagnostics;
using System.Net;
using ToaProxy.Capture.Flows;
using ToaProxy.Configuration;
using static ToaProxy.Relay.Epoll.RelaySystemCalls;

namespace ToaProxy.Relay.Epoll;

/// <summary>
/// A relayed connection owned by one <see cref="RelayWorker"/>: resolve the real client, connect
/// upstream, send the PROXY header with what the client has sent so far, then copy both ways with
/// the managed relay's semantics — a FIN is passed on after all data while the other direction goes
/// on, a reset from one side resets the other, and a direction whose destination is full stops
/// reading (at most one buffer held per direction). Every member but <see cref="LiveConnection.Abort"/>
/// runs on the worker's thread.
/// </summary>
internal sealed class EpollConnection : LiveConnection
{
    public const int ClientSide = 0;
    public const int UpstreamSide = 1;

    private const int BufferSize = RelayWorker.BufferSize;

    // Endpoint state from epoll (edge-triggered): what it said last and nothing has used up since.
    private const int Readable = 1;
    private const int Writable = 2;
    private const int PeerFinished = 4;

    // Reads of one direction before other connections of the worker get their turn (1 MiB).
    private const int ReadsPerTurn = 16;

    private readonly ProxyListener _listener;
    private readonly RelayWorker _worker;
    private readonly ListenerRuntime _runtime;
    private readonly IPEndPoint _peer;
    private readonly IPEndPoint _local;
    private readonly int _client;
    private int _upstream = -1;
    private int _clientState;
    private int _upstreamState;
    private Direction _toUpstream;
    private Direction _toClient;
    private Stage _stage;
    private HeaderPlan _plan;
    private FlowResolutionStatus _resolution;
    private long _connectStart;
    private bool _clientWatched;
    private bool _clientDataReported;

    public EpollConnection(long id, ProxyListener listener, ListenerRuntime runtime, RelayWorker worker, int client, IPEndPoint peer, IPEndPoint local)
        : base(id, runtime.Settings.IdleTimeout, listener.Counters)
    {
        _listener = listener;
        _runtime = runtime;
        _worker = worker;
        _client = client;
        _peer = peer;
        _local = local;
    }

    private enum Stage
    {
        Resolving,
        Connecting,
        Relaying,
        Closed,
    }

    public int Slot { get; set; }

    public uint Generation { get; set; }

    public int ConnectingIndex { get; set; } = -1;

    public long ConnectDeadline { get; private set; }

    /// <summary>Starts the set-up: usually the capture has the answer at once and the upstream connect starts before this returns.</summary>
    public void Start()
    {
        _worker.Register(this);
        // An async method: a cancellation or failure comes in the task, never thrown from the call.
        ValueTask<FlowResolution> resolving = _runtime.Resolver.WaitForFlowAsync(_peer, _local, dataReadable: null, _listener.ClosingToken);
        if (resolving.IsCompletedSuccessfully)
        {
            OnResolved(resolving.Result);
        }
        else
        {
            _ = ResumeWhenResolvedAsync(resolving);
            // With WaitForData the answer may wait for the client's first data, which the capture
            // does not see unless it carries options: the client socket reports it instead.
            _clientWatched = _runtime.Settings.WaitForData && _worker.Watch(this, _client, ClientSide);
        }
    }

    public void OnSocketEvent(int side, uint events)
    {
        ref int state = ref side == ClientSide ? ref _clientState : ref _upstreamState;
        if ((events & (EpollIn | EpollRdHup | EpollHup | EpollErr)) != 0)
        {
            state |= Readable;
        }

        if ((events & (EpollRdHup | EpollHup)) != 0)
        {
            state |= PeerFinished;
        }

        if ((events & (EpollOut | EpollErr | EpollHup)) != 0)
        {
            state |= Writable;
        }

        if (_stage == Stage.Resolving)
        {
            // Registering reports the socket writable at once; only a readable edge means data (or FIN).
            if (side == ClientSide && (_clientState & Readable) != 0 && !_clientDataReported)
            {
                _clientDataReported = true;
                _runtime.Resolver.ReportClientData(_peer, _local, _listener.ClosingToken);
            }

            return;
        }

        if (_stage == Stage.Connecting)
        {
            if (side == UpstreamSide)
            {
                if ((events & (EpollErr | EpollHup)) != 0)
                {
                    int error = PendingError(_upstream);
                    ConnectFailed(SocketErrorText.Describe(error != 0 ? error : ECONNRESET));
                }
                else if ((events & EpollOut) != 0)
                {
                    OnConnected();
                }
            }

            return;
        }

        if (_stage != Stage.Relaying)
        {
            return;
        }

        Pump();
        if (_stage == Stage.Relaying && (events & EpollErr) != 0)
        {
            // An error on a socket this event did not read from or write to (its direction had
            // ended, or was waiting on the other side): pass it on now rather than at the next send.
            OnSocketError(side);
        }
    }

    /// <summary>Continues a direction that gave up its turn with data still readable.</summary>
    public void Resume()
    {
        if (_stage == Stage.Relaying)
        {
            Pump();
        }
    }

    public void OnConnectTimeout()
    {
        if (_stage == Stage.Connecting)
        {
            ConnectFailed($"no answer within ConnectTimeout {Duration.Format(_runtime.Settings.ConnectTimeout)}");
        }
    }

    /// <summary>Resets both sockets (RST, not FIN) and ends the connection; nothing once it has ended.</summary>
    public void ResetNow()
    {
        if (_stage == Stage.Closed)
        {
            return;
        }

        RelaySystemCalls.Reset(_client);
        if (_upstream >= 0)
        {
            RelaySystemCalls.Reset(_upstream);
        }

        Finish();
    }

    /// <summary>A failure no socket error explains: logged, and this connection (only) is reset.</summary>
    public void Fail(Exception e)
    {
        _listener.LogConnectionFailed(e, _runtime.Settings.Name, Id);
        ResetNow();
    }

    protected override void ResetBothSides() => _worker.Post(this, static c => c.ResetNow());

    private async Task ResumeWhenResolvedAsync(ValueTask<FlowResolution> resolving)
    {
        try
        {
            FlowResolution resolution = await resolving.ConfigureAwait(false);
            _worker.Post(this, c => c.OnResolved(resolution));
        }
        catch (OperationCanceledException)
        {
            _worker.Post(this, static c => c.ResetNow());
        }
        catch (Exception e)
        {
            _worker.Post(this, c => c.Fail(e));
        }
    }

    private void OnResolved(FlowResolution resolution)
    {
        if (_stage != Stage.Resolving)
        {
            // Aborted (idle scan, shutdown) while the capture was being waited for.
            return;
        }

        _resolution = resolution.Status;
        if (!_runtime.Resolver.TryPlanHeader(resolution, _peer, _local, Id, out _plan))
        {
            _listener.LogRejected(_runtime.Settings.Name, Id, _peer, resolution.Status);
            ResetNow();
            return;
        }

        Connect();
    }

    private unsafe void Connect()
    {
        IPEndPoint target = _runtime.DirectUpstream!;
        byte* address = stackalloc byte[SocketAddressCodec.MaxLength];
        int addressLength = SocketAddressCodec.Write(target, new Span<byte>(address, SocketAddressCodec.MaxLength));
        _connectStart = Stopwatch.GetTimestamp();
        _upstream = Socket(*(ushort*)address, SockStream | SockNonBlock | SockCloExec, 0);
        if (_upstream < 0)
        {
            ConnectFailed(SocketErrorText.Describe(LastError));
            return;
        }

        int one = 1;
        SetSockOpt(_upstream, IpProtoTcp, TcpNoDelay, &one, sizeof(int));
        if (RelaySystemCalls.Connect(_upstream, address, addressLength) != 0 && LastError != EInProgress)
        {
            ConnectFailed(SocketErrorText.Describe(LastError));
            return;
        }

        // Both sockets join the worker's epoll set now; edge-triggered, so each reports what it
        // already has (the client's first bytes, usually) in the next round.
        if (!_worker.Watch(this, _upstream, UpstreamSide) || (!_clientWatched && !_worker.Watch(this, _client, ClientSide)))
        {
            ConnectFailed(SocketErrorText.Describe(LastError));
            return;
        }

        _stage = Stage.Connecting;
        ConnectDeadline = Environment.TickCount64 + (long)_runtime.Settings.ConnectTimeout.TotalMilliseconds;
        _worker.AddConnecting(this);
    }

    private void ConnectFailed(string reason)
    {
        _listener.ReportUpstreamFailure(_runtime.Settings, reason);
        ResetNow();
    }

    private unsafe void OnConnected()
    {
        _worker.RemoveConnecting(this);
        _listener.RecordUpstreamConnect(_runtime.Settings, _connectStart);
        ListenerSettings settings = _runtime.Settings;
        byte* buffer = _worker.Scratch;
        int length = ProxyHeaderComposer.Compose(new Span<byte>(buffer, BufferSize), settings, _plan);

        // What the client sent while the upstream connection was made (an HTTP request, a TLS
        // ClientHello) goes out in the header's segment: one send and one segment fewer.
        if ((_clientState & Readable) != 0)
        {
            nint received = Receive(_client, buffer + length, BufferSize - length, ref _clientState, fromClient: true, out int error);
            if (received > 0)
            {
                length += (int)received;
            }
            else if (received == 0)
            {
                _toUpstream.SourceEnded = true;
            }
            else if (error is not (EAgain or EIntr))
            {
                // The client reset while the upstream connection was made: the upstream is reset too.
                _listener.LogConnectionEnded(settings.Name, Id, SocketErrorText.Describe(error));
                ResetNow();
                return;
            }
        }

        _stage = Stage.Relaying;
        MarkActivity();
        if (!Forward(ref _toUpstream, buffer, length, _upstream, ref _upstreamState))
        {
            return;
        }

        if (_listener.LogsConnections)
        {
            _listener.LogRelaying(settings.Name, Id, _peer, _plan.IsLocal ? "LOCAL" : ProxyListener.FormatEndpoint(_plan.Source, _plan.SourcePort), _resolution);
        }

        Pump();
    }

    private void Pump()
    {
        if (Copy(ref _toUpstream, _client, ref _clientState, _upstream, ref _upstreamState, fromClient: true)
            && Copy(ref _toClient, _upstream, ref _upstreamState, _client, ref _clientState, fromClient: false)
            && _toUpstream.Finished && _toClient.Finished)
        {
            // Both FINs passed on: close(2) sends the last one (nothing is left unread on either socket).
            Close(_client);
            Close(_upstream);
            Finish();
        }
    }

    /// <summary>Moves what the source has into the destination until one of them would block; false when the connection ended.</summary>
    private unsafe bool Copy(ref Direction direction, int source, ref int sourceState, int destination, ref int destinationState, bool fromClient)
    {
        for (int reads = 0; ;)
        {
            if (direction.Pending > 0 && !SendPending(ref direction, destination, ref destinationState))
            {
                return false;
            }

            if (direction.Pending > 0)
            {
                return true;
            }

            if (direction.SourceEnded)
            {
                if (!direction.Finished)
                {
                    ReturnBuffer(ref direction);
                    direction.Finished = true;
                    if (!(fromClient ? _toClient.Finished : _toUpstream.Finished))
                    {
                        Shutdown(destination, ShutWr);
                    }
                }

                return true;
            }

            if ((sourceState & Readable) == 0)
            {
                ReturnBuffer(ref direction);
                return true;
            }

            if (reads++ == ReadsPerTurn)
            {
                _worker.RunAgain(this);
                return true;
            }

            byte* buffer = direction.Buffer != null ? direction.Buffer : _worker.Scratch;
            nint received = Receive(source, buffer, BufferSize, ref sourceState, fromClient, out int error);
            if (received > 0)
            {
                if (!Forward(ref direction, buffer, (int)received, destination, ref destinationState))
                {
                    return false;
                }
            }
            else if (received == 0)
            {
                direction.SourceEnded = true;
            }
            else if (error is not (EAgain or EIntr))
            {
                SourceFailed(error, fromClient);
                return false;
            }
        }
    }

    /// <summary>
    /// One recv(2), counted as relayed bytes. The source stops being readable when it would block, or
    /// when a short read emptied it — unless its FIN was reported, which the next read returns; more
    /// data or the FIN otherwise comes as a new edge. Negative with <paramref name="error"/> on failure.
    /// </summary>
    private unsafe nint Receive(int source, byte* buffer, int length, ref int sourceState, bool fromClient, out int error)
    {
        nint received = Recv(source, buffer, (nuint)length, 0);
        error = received < 0 ? LastError : 0;
        if (received > 0)
        {
            MarkActivity();
            Interlocked.Add(ref fromClient ? ref Counters.BytesFromClient : ref Counters.BytesFromUpstream, received);
        }

        if ((received > 0 && received < length && (sourceState & PeerFinished) == 0) || error == EAgain)
        {
            sourceState &= ~Readable;
        }

        return received;
    }

    /// <summary>
    /// Sends what the destination takes now (nothing when it is known full); it stops being writable
    /// after a partial send. Negative when the destination failed: the connection is then reset, as
    /// neither side may take a failed destination for a clean end.
    /// </summary>
    private unsafe nint SendNow(int destination, byte* data, int length, ref int destinationState)
    {
        if ((destinationState & Writable) == 0)
        {
            return 0;
        }

        nint sent = Send(destination, data, (nuint)length, MsgNoSignal);
        if (sent < 0)
        {
            if (LastError != EAgain)
            {
                ResetNow();
                return -1;
            }

            sent = 0;
        }

        if (sent < length)
        {
            destinationState &= ~Writable;
        }

        return sent;
    }

    /// <summary>Sends <paramref name="data"/>; what the destination does not take now is kept in the direction's own buffer. False when the connection ended.</summary>
    private unsafe bool Forward(ref Direction direction, byte* data, int length, int destination, ref int destinationState)
    {
        nint sent = SendNow(destination, data, length, ref destinationState);
        if (sent < 0)
        {
            return false;
        }

        if (sent == length)
        {
            return true;
        }

        if (direction.Buffer == null)
        {
            direction.Buffer = _worker.Buffers.Rent();
            Buffer.MemoryCopy(data + sent, direction.Buffer, BufferSize, length - sent);
            direction.Offset = 0;
        }
        else
        {
            direction.Offset = (int)(data - direction.Buffer + sent);
        }

        direction.Pending = length - (int)sent;
        return true;
    }

    private unsafe bool SendPending(ref Direction direction, int destination, ref int destinationState)
    {
        nint sent = SendNow(destination, direction.Buffer + direction.Offset, direction.Pending, ref destinationState);
        if (sent < 0)
        {
            return false;
        }

        direction.Offset += (int)sent;
        direction.Pending -= (int)sent;
        return true;
    }

    private void SourceFailed(int error, bool fromClient)
    {
        if (error == ECONNRESET && !IsAborted)
        {
            Interlocked.Increment(ref fromClient ? ref Counters.ClientResets : ref Counters.UpstreamResets);
        }

        ResetNow();
    }

    private void OnSocketError(int side)
    {
        int error = PendingError(side == ClientSide ? _client : _upstream);
        if (error != 0)
        {
            SourceFailed(error, fromClient: side == ClientSide);
        }
    }

    private unsafe void ReturnBuffer(ref Direction direction)
    {
        if (direction.Buffer != null)
        {
            _worker.Buffers.Return(direction.Buffer);
            direction.Buffer = null;
            direction.Pending = 0;
        }
    }

    private void Finish()
    {
        _stage = Stage.Closed;
        _worker.RemoveConnecting(this);
        ReturnBuffer(ref _toUpstream);
        ReturnBuffer(ref _toClient);
        _worker.Unregister(this);
        _listener.OnRelayClosed(this);
    }

    private unsafe struct Direction
    {
        /// <summary>The direction's own buffer, held only while the destination has not taken all that was read.</summary>
        public byte* Buffer;
        public int Offset;
        public int Pending;
        public bool SourceEnded;
        public bool Finished;
    }
}
