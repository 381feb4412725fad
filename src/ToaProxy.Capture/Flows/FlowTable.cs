using System.Diagnostics;
using ToaProxy.Protocol;

namespace ToaProxy.Capture.Flows;

/// <summary>
/// The table from a connection's 4-tuple to the real client its load balancer announced.
/// Written by the capture thread (<see cref="Observe"/>), read by the relay (<see cref="ResolveAsync"/>).
/// <para>Rules (each has a test in FlowTableTests):</para>
/// <list type="number">
/// <item>Key: (peer address, peer port, local address, local port) as the backend host sees the packet;
/// IPv4 and IPv4-mapped IPv6 are the same key.</item>
/// <item>A SYN (without ACK) starts a new record for its key and replaces any older one, so a reused
/// 4-tuple never inherits an earlier connection's client.</item>
/// <item>TOA may arrive on the SYN, the handshake ACK, or data/FIN before the server speaks. The first
/// valid TOA wins; a later, different one is counted as a conflict and ignored. A packet with TOA for a
/// key without a record (the SYN was missed) starts a record.</item>
/// <item>Only trusted, well-formed TOA reaches the table: the caller (<see cref="HandshakeObserver"/>)
/// counts and drops the rest.</item>
/// <item>The relay takes a record once: the first resolve consumes it, a second one answers Unknown.
/// A taken record stays until it expires only to absorb repeats of the option on later data.</item>
/// <item>Records expire <see cref="FlowTableOptions.FlowTimeout"/> after creation (untaken: counted as
/// expired) or after being taken. At most <see cref="FlowTableOptions.MaxFlows"/> are held: when full,
/// the oldest taken record is evicted first, else the oldest untaken one (counted as evicted).</item>
/// <item>Resolve first waits for the capture's drain barrier (at most maxWait), then answers from the
/// record. The kernel queues a connection's SYN and handshake ACK to the capture before accept() returns
/// it, so after the barrier the record is this connection's own (a new SYN replaced any record an
/// earlier connection on the same 4-tuple left) and a record without TOA has none: no connection pays
/// maxWait unless the capture is behind. Optionally it keeps waiting for the first data packet, for
/// vendors that put TOA only on client data, answered once the relay reports the data readable
/// (<see cref="ClientDataArrivedAsync"/>) or a data packet is captured.</item>
/// </list>
/// </summary>
public sealed class FlowTable
{
    private const int NoIndex = -1;

    private readonly Lock _lock = new();
    private readonly Dictionary<FlowKey, int> _index;
    private readonly CaptureCounters _counters;
    private readonly TimeProvider _time;
    private readonly long _timeoutTicks;
    private readonly int _maxFlows;
    private Entry[] _entries;
    private int _highWater;
    private int _freeHead = NoIndex;
    private LinkedSlots _untaken = LinkedSlots.Empty;
    private LinkedSlots _taken = LinkedSlots.Empty;

    public FlowTable(FlowTableOptions options, CaptureCounters counters, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxFlows, 1, nameof(options.MaxFlows));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.FlowTimeout, TimeSpan.Zero, nameof(options.FlowTimeout));
        _counters = counters;
        _time = time ?? TimeProvider.System;
        _maxFlows = options.MaxFlows;
        _timeoutTicks = (long)(options.FlowTimeout.TotalSeconds * _time.TimestampFrequency);
        int initial = Math.Min(_maxFlows, 1024);
        _entries = new Entry[initial];
        _index = new Dictionary<FlowKey, int>(initial);
    }

    /// <summary>The capture's drain barrier (see <see cref="ICaptureBackend.WaitForDrainAsync"/>); null when no capture runs.</summary>
    public Func<CancellationToken, ValueTask>? DrainBarrier { get; set; }

    public CaptureCounters Counters => _counters;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _index.Count;
            }
        }
    }

    /// <summary>Applies one captured client-to-server segment. Never throws.</summary>
    public void Observe(in FlowKey key, SegmentRole role, bool hasClient, in ToaClient client)
    {
        List<TaskCompletionSource>? toRelease = null;
        lock (_lock)
        {
            long now = _time.GetTimestamp();
            bool exists = _index.TryGetValue(key, out int slot);
            if (role == SegmentRole.Syn)
            {
                if (exists)
                {
                    if (_entries[slot].State != FlowState.Taken)
                    {
                        _counters.Replaced++;
                    }

                    toRelease = TakeWaiter(slot, toRelease);
                    Remove(slot);
                }

                slot = Insert(key, now);
            }
            else if (!exists)
            {
                if (!hasClient)
                {
                    return;
                }

                slot = Insert(key, now);
            }

            ref Entry entry = ref _entries[slot];
            if (role is SegmentRole.Data or SegmentRole.Fin)
            {
                entry.DataSeen = true;
            }

            if (hasClient)
            {
                if (entry.HasClient)
                {
                    if (!entry.Client.SameOrigin(client))
                    {
                        _counters.Conflicts++;
                    }
                }
                else if (entry.State == FlowState.Pending)
                {
                    entry.Client = client;
                    entry.HasClient = true;
                    entry.SeenOn = role;
                    entry.State = FlowState.HasToa;
                    _counters.ToaRecorded++;
                    if (!client.Address.IsIPv4)
                    {
                        _counters.Ipv6ClientsStored++;
                    }
                }
            }

            if (entry.DataSeen || entry.HasClient)
            {
                toRelease = TakeWaiter(slot, toRelease);
            }
        }

        Release(toRelease);
    }

    /// <summary>
    /// Resolves an accepted connection: Found (and the record is taken), NoToa, or Unknown.
    /// Waits at most <paramref name="maxWait"/> for the capture to catch up, and, when
    /// <paramref name="waitForData"/> is set, for the client's first data packet.
    /// </summary>
    public async ValueTask<FlowResolution> ResolveAsync(FlowKey key, TimeSpan maxWait, bool waitForData, CancellationToken cancellationToken)
    {
        long start = _time.GetTimestamp();

        // Always the barrier first, even when a record is already there: it may be an earlier
        // connection's on the same 4-tuple (loopback and busy clients reuse ports at once), and only
        // after the barrier has this connection's own SYN certainly replaced it. A capture behind by
        // more than maxWait: answer with what is known now.
        await WaitForCaptureAsync(maxWait, cancellationToken).ConfigureAwait(false);

        if (TryAnswer(key, final: !waitForData, waitForData, start, out FlowResolution answer, out TaskCompletionSource? dataWaiter))
        {
            return answer;
        }

        if (dataWaiter is not null)
        {
            TimeSpan remaining = maxWait - _time.GetElapsedTime(start);
            if (remaining > TimeSpan.Zero)
            {
                try
                {
                    await dataWaiter.Task.WaitAsync(remaining, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // No data within maxWait: the record's current state is the answer.
                }
            }
        }

        TryAnswer(key, final: true, waitForData: false, start, out FlowResolution last, out _);
        return last;
    }

    /// <summary>
    /// The relay found the client's first data (or its FIN) readable on the accepted socket. The
    /// packets that carried it passed the capture before the socket could read them, so once the
    /// capture has drained (at most <paramref name="maxWait"/>), a connection waiting for data is
    /// answered: Found when one of them carried TOA, NoToa otherwise. The kernel filter keeps data
    /// packets without options from the capture, so without this a first data packet without TOA
    /// would leave the wait to run out.
    /// </summary>
    public async ValueTask ClientDataArrivedAsync(FlowKey key, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        if (!await WaitForCaptureAsync(maxWait, cancellationToken).ConfigureAwait(false))
        {
            // The capture is behind: the data's packets may not be recorded yet, so the wait goes on.
            return;
        }

        List<TaskCompletionSource>? toRelease = null;
        lock (_lock)
        {
            if (_index.TryGetValue(key, out int slot) && _entries[slot].State == FlowState.Pending)
            {
                _entries[slot].DataSeen = true;
                toRelease = TakeWaiter(slot, toRelease);
            }
        }

        Release(toRelease);
    }

    /// <summary>Removes records past their timeout. Called periodically by the capture service.</summary>
    public void Sweep()
    {
        List<TaskCompletionSource>? toRelease = null;
        lock (_lock)
        {
            long now = _time.GetTimestamp();
            while (_untaken.Head != NoIndex && now - _entries[_untaken.Head].ListedAt >= _timeoutTicks)
            {
                int slot = _untaken.Head;
                toRelease = TakeWaiter(slot, toRelease);
                Remove(slot);
                _counters.Expired++;
            }

            while (_taken.Head != NoIndex && now - _entries[_taken.Head].ListedAt >= _timeoutTicks)
            {
                Remove(_taken.Head);
            }
        }

        Release(toRelease);
    }

    /// <summary>
    /// Drops every record the relay has not taken and wakes their waiters; returns how many. Called when
    /// the capture stops seeing packets: a record can then no longer be replaced by its 4-tuple's next
    /// SYN, so a reused 4-tuple could otherwise inherit an earlier connection's client.
    /// </summary>
    public int ForgetUntaken()
    {
        List<TaskCompletionSource>? toRelease = null;
        int forgotten = 0;
        lock (_lock)
        {
            while (_untaken.Head != NoIndex)
            {
                int slot = _untaken.Head;
                toRelease = TakeWaiter(slot, toRelease);
                Remove(slot);
                forgotten++;
            }
        }

        Release(toRelease);
        return forgotten;
    }

    /// <summary>
    /// A page of the live table for the admin API, in slot order from <paramref name="cursor"/>;
    /// returns the cursor of the next page, or -1 at the end. Holds the lock for at most
    /// <paramref name="limit"/> rows, so a huge table never stalls the capture.
    /// </summary>
    public int Snapshot(int cursor, int limit, List<FlowEntrySnapshot> rows)
    {
        lock (_lock)
        {
            long now = _time.GetTimestamp();
            int slot = Math.Max(cursor, 0);
            int added = 0;
            for (; slot < _highWater && added < limit; slot++)
            {
                ref Entry entry = ref _entries[slot];
                if (!entry.InUse)
                {
                    continue;
                }

                added++;
                rows.Add(new FlowEntrySnapshot(
                    entry.Key, entry.State, entry.HasClient, entry.Client, entry.SeenOn,
                    TimeSpan.FromSeconds((now - entry.CreatedAt) / (double)_time.TimestampFrequency)));
            }

            return slot < _highWater ? slot : -1;
        }
    }

    /// <summary>Waits (at most <paramref name="maxWait"/>) until the capture has handed over every packet queued before the call; false when it did not in time.</summary>
    private async ValueTask<bool> WaitForCaptureAsync(TimeSpan maxWait, CancellationToken cancellationToken)
    {
        Func<CancellationToken, ValueTask>? barrier = DrainBarrier;
        if (barrier is null || maxWait <= TimeSpan.Zero)
        {
            return barrier is null;
        }

        // Usually complete on return (the capture drained inline): no timer is armed for that case.
        ValueTask drained = barrier(cancellationToken);
        if (drained.IsCompletedSuccessfully)
        {
            return true;
        }

        try
        {
            await drained.AsTask().WaitAsync(maxWait, _time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private bool TryAnswer(in FlowKey key, bool final, bool waitForData, long start, out FlowResolution answer, out TaskCompletionSource? dataWaiter)
    {
        dataWaiter = null;
        lock (_lock)
        {
            bool exists = _index.TryGetValue(key, out int slot);
            if (exists)
            {
                ref Entry entry = ref _entries[slot];
                switch (entry.State)
                {
                    case FlowState.HasToa:
                        Take(slot);
                        _counters.ResolvedFound++;
                        answer = new FlowResolution(FlowResolutionStatus.Found, entry.Client, _time.GetElapsedTime(start));
                        return true;
                    case FlowState.Taken:
                        _counters.ResolvedUnknown++;
                        answer = new FlowResolution(FlowResolutionStatus.Unknown, default, _time.GetElapsedTime(start));
                        return true;
                    case FlowState.Pending when final || entry.DataSeen:
                        Take(slot);
                        _counters.ResolvedNoToa++;
                        answer = new FlowResolution(FlowResolutionStatus.NoToa, default, _time.GetElapsedTime(start));
                        return true;
                    case FlowState.Pending when waitForData:
                        entry.Waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                        dataWaiter = entry.Waiter;
                        break;
                }
            }
            else if (final)
            {
                _counters.ResolvedUnknown++;
                answer = new FlowResolution(FlowResolutionStatus.Unknown, default, _time.GetElapsedTime(start));
                return true;
            }
        }

        answer = default;
        return false;
    }

    private int Insert(in FlowKey key, long now)
    {
        if (_index.Count >= _maxFlows)
        {
            if (_taken.Head != NoIndex)
            {
                Remove(_taken.Head);
            }
            else
            {
                Remove(_untaken.Head);
                _counters.Evicted++;
            }
        }

        int slot;
        if (_freeHead != NoIndex)
        {
            slot = _freeHead;
            _freeHead = _entries[slot].Next;
        }
        else
        {
            if (_highWater == _entries.Length)
            {
                Array.Resize(ref _entries, Math.Min(_maxFlows, _entries.Length * 2));
            }

            slot = _highWater++;
        }

        _entries[slot] = new Entry { Key = key, InUse = true, CreatedAt = now, ListedAt = now, State = FlowState.Pending };
        _index[key] = slot;
        Append(ref _untaken, slot);
        return slot;
    }

    private void Take(int slot)
    {
        Unlink(ref _untaken, slot);
        ref Entry entry = ref _entries[slot];
        entry.State = FlowState.Taken;
        entry.ListedAt = _time.GetTimestamp();
        Append(ref _taken, slot);
    }

    private void Remove(int slot)
    {
        ref Entry entry = ref _entries[slot];
        Debug.Assert(entry.InUse, "removing a free slot");
        Unlink(ref entry.State == FlowState.Taken ? ref _taken : ref _untaken, slot);
        _index.Remove(entry.Key);
        if (entry.HasClient && !entry.Client.Address.IsIPv4)
        {
            _counters.Ipv6ClientsReleased++;
        }

        entry = new Entry { Next = _freeHead };
        _freeHead = slot;
    }

    private List<TaskCompletionSource>? TakeWaiter(int slot, List<TaskCompletionSource>? list)
    {
        ref Entry entry = ref _entries[slot];
        if (entry.Waiter is null)
        {
            return list;
        }

        list ??= [];
        list.Add(entry.Waiter);
        entry.Waiter = null;
        return list;
    }

    private static void Release(List<TaskCompletionSource>? waiters)
    {
        if (waiters is null)
        {
            return;
        }

        foreach (TaskCompletionSource waiter in waiters)
        {
            waiter.TrySetResult();
        }
    }

    private void Append(ref LinkedSlots list, int slot)
    {
        ref Entry entry = ref _entries[slot];
        entry.Prev = list.Tail;
        entry.Next = NoIndex;
        if (list.Tail != NoIndex)
        {
            _entries[list.Tail].Next = slot;
        }
        else
        {
            list.Head = slot;
        }

        list.Tail = slot;
    }

    private void Unlink(ref LinkedSlots list, int slot)
    {
        ref Entry entry = ref _entries[slot];
        if (entry.Prev != NoIndex)
        {
            _entries[entry.Prev].Next = entry.Next;
        }
        else
        {
            list.Head = entry.Next;
        }

        if (entry.Next != NoIndex)
        {
            _entries[entry.Next].Prev = entry.Prev;
        }
        else
        {
            list.Tail = entry.Prev;
        }

        entry.Prev = NoIndex;
        entry.Next = NoIndex;
    }

    /// <summary>Head and tail of an intrusive list of slots, oldest first.</summary>
    private struct LinkedSlots
    {
        public int Head;
        public int Tail;

        public static LinkedSlots Empty => new() { Head = NoIndex, Tail = NoIndex };
    }

    private struct Entry
    {
        public FlowKey Key;
        public ToaClient Client;
        public long CreatedAt;
        public long ListedAt;
        public int Prev;
        public int Next;
        public TaskCompletionSource? Waiter;
        public FlowState State;
        public SegmentRole SeenOn;
        public bool InUse;
        public bool HasClient;
        public bool DataSeen;
    }
}
