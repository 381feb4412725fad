using System.Net;
using ToaProxy.Capture.Flows;
using ToaProxy.Protocol;

namespace ToaProxy.Capture.Tests.Flows;

public sealed class FlowTableTests
{
    private static readonly TimeSpan NoWait = TimeSpan.Zero;

    private static FlowKey Key(string peer, ushort peerPort, string local = "203.0.113.10", ushort localPort = 8080) =>
        new(NetAddress.FromIPAddress(IPAddress.Parse(peer)), peerPort, NetAddress.FromIPAddress(IPAddress.Parse(local)), localPort);

    private static ToaClient Client(string address, ushort port, byte kind = 200) =>
        new(NetAddress.FromIPAddress(IPAddress.Parse(address)), port, kind, 8, false, default, 0, false, 0);

    private static (FlowTable Table, CaptureCounters Counters) NewTable(int maxFlows = 1000, TimeProvider? time = null, double timeoutSeconds = 30)
    {
        var counters = new CaptureCounters();
        var table = new FlowTable(new FlowTableOptions { MaxFlows = maxFlows, FlowTimeout = TimeSpan.FromSeconds(timeoutSeconds) }, counters, time);
        return (table, counters);
    }

    private static FlowResolution Resolve(FlowTable table, FlowKey key, bool waitForData = false, double maxWaitSeconds = 0) =>
        table.ResolveAsync(key, TimeSpan.FromSeconds(maxWaitSeconds), waitForData, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    [Fact]
    public void Toa_on_syn_is_found_for_the_accepted_socket_key_including_ipv4_mapped_form()
    {
        var (table, counters) = NewTable();
        table.Observe(Key("198.51.100.7", 40000), SegmentRole.Syn, true, Client("192.0.2.55", 5555));

        FlowKey accepted = Key("::ffff:198.51.100.7", 40000, "::ffff:203.0.113.10");
        FlowResolution answer = Resolve(table, accepted);

        Assert.Equal(FlowResolutionStatus.Found, answer.Status);
        Assert.Equal(IPAddress.Parse("192.0.2.55"), answer.Client.Address.ToIPAddress());
        Assert.Equal(5555, answer.Client.Port);
        Assert.Equal(1, counters.ToaRecorded);
        Assert.Equal(1, counters.ResolvedFound);
    }

    [Fact]
    public void A_new_syn_replaces_the_old_record_so_a_reused_tuple_never_inherits_the_old_client()
    {
        var (table, counters) = NewTable();
        FlowKey key = Key("198.51.100.7", 40000);
        table.Observe(key, SegmentRole.Syn, true, Client("192.0.2.55", 5555));
        table.Observe(key, SegmentRole.Syn, false, default);

        FlowResolution answer = Resolve(table, key);

        Assert.Equal(FlowResolutionStatus.NoToa, answer.Status);
        Assert.Equal(1, counters.Replaced);
    }

    [Fact]
    public void A_taken_record_is_replaced_by_the_next_syn_without_counting_a_replacement()
    {
        var (table, counters) = NewTable();
        FlowKey key = Key("198.51.100.7", 40000);
        table.Observe(key, SegmentRole.Syn, true, Client("192.0.2.55", 5555));
        Assert.True(Resolve(table, key).IsFound);

        table.Observe(key, SegmentRole.Syn, true, Client("192.0.2.66", 6666));
        FlowResolution second = Resolve(table, key);

        Assert.Equal(IPAddress.Parse("192.0.2.66"), second.Client.Address.ToIPAddress());
        Assert.Equal(0, counters.Replaced);
    }

    [Theory]
    [InlineData(SegmentRole.Ack)]
    [InlineData(SegmentRole.Data)]
    [InlineData(SegmentRole.Fin)]
    public void Toa_after_the_syn_is_recorded_with_where_it_was_seen(SegmentRole role)
    {
        var (table, _) = NewTable();
        FlowKey key = Key("198.51.100.7", 40000);
        table.Observe(key, SegmentRole.Syn, false, default);
        table.Observe(key, role, true, Client("192.0.2.55", 5555));

        var rows = new List<FlowEntrySnapshot>();
        table.Snapshot(0, 10, rows);
        FlowResolution answer = Resolve(table, key);

        Assert.Equal(role, Assert.Single(rows).SeenOn);
        Assert.Equal(FlowResolutionStatus.Found, answer.Status);
    }

    [Fact]
    public void Toa_without_a_seen_syn_starts_a_record()
    {
        var (table, _) = NewTable();
        FlowKey key = Key("198.51.100.7", 40000);
        table.Observe(key, SegmentRole.Ack, true, Client("192.0.2.55", 5555));

        Assert.Equal(FlowResolutionStatus.Found, Resolve(table, key).Status);
    }

    [Fact]
    public void A_packet_without_toa_for_an_unknown_key_leaves_no_record()
    {
        var (table, _) = NewTable();
        table.Observe(Key("198.51.100.7", 40000), SegmentRole.Data, false, default);

        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void The_first_valid_toa_wins_and_a_different_later_one_is_a_counted_conflict()
    {
        var (table, counters) = NewTable();
        FlowKey key = Key("198.51.100.7", 40000);
        table.Observe(key, SegmentRole.Syn, true, Client("192.0.2.55", 5555));
        table.Observe(key, SegmentRole.Ack, true, Client("192.0.2.55", 5555));
        table.Observe(key, SegmentRole.Data, true, Client("192.0.2.99", 9999));

        FlowResolution answer = Resolve(table, key);

        Assert.Equal(IPAddress.Parse("192.0.2.55"), answer.Client.Address.ToIPAddress());
        Assert.Equal(1, counters.Conflicts);
    }

    [Fact]
    public void A_record_is_taken_once_and_later_repeats_of_the_option_are_absorbed()
    {
        var (table, counters) = NewTable();
        FlowKey key = Key("198.51.100.7", 40000);
        table.Observe(key, SegmentRole.Syn, true, Client("192.0.2.55", 5555));

        Assert.Equal(FlowResolutionStatus.Found, Resolve(table, key).Status);
        table.Observe(key, SegmentRole.Data, true, Client("192.0.2.55", 5555));
        Assert.Equal(FlowResolutionStatus.Unknown, Resolve(table, key).Status);
        Assert.Equal(1, table.Count);
        Assert.Equal(0, counters.Conflicts);
    }

    [Fact]
    public void Forgetting_untaken_records_leaves_a_reused_tuple_unknown_and_keeps_taken_ones()
    {
        var (table, _) = NewTable();
        FlowKey untaken = Key("198.51.100.7", 40000);
        FlowKey taken = Key("198.51.100.8", 40001);
        table.Observe(untaken, SegmentRole.Syn, true, Client("192.0.2.55", 5555));
        table.Observe(taken, SegmentRole.Syn, true, Client("192.0.2.56", 5556));
        Assert.Equal(FlowResolutionStatus.Found, Resolve(table, taken).Status);

        int forgotten = table.ForgetUntaken();

        Assert.Equal(1, forgotten);
        Assert.Equal(1, table.Count);
        Assert.Equal(FlowResolutionStatus.Unknown, Resolve(table, untaken).Status);
    }

    [Fact]
    public void Untaken_records_expire_after_the_flow_timeout_and_are_counted()
    {
        var clock = new ManualTimeProvider();
        var (table, counters) = NewTable(time: clock, timeoutSeconds: 10);
        FlowKey key = Key("198.51.100.7", 40000);
        table.Observe(key, SegmentRole.Syn, true, Client("192.0.2.55", 5555));

        clock.Advance(TimeSpan.FromSeconds(9));
        table.Sweep();
        Assert.Equal(1, table.Count);

        clock.Advance(TimeSpan.FromSeconds(2));
        table.Sweep();
        Assert.Equal(0, table.Count);
        Assert.Equal(1, counters.Expired);
        Assert.Equal(FlowResolutionStatus.Unknown, Resolve(table, key).Status);
    }

    [Fact]
    public void Taken_records_leave_after_the_timeout_without_counting_as_expired()
    {
        var clock = new ManualTimeProvider();
        var (table, counters) = NewTable(time: clock, timeoutSeconds: 10);
        FlowKey key = Key("198.51.100.7", 40000);
        table.Observe(key, SegmentRole.Syn, true, Client("192.0.2.55", 5555));
        Resolve(table, key);

        clock.Advance(TimeSpan.FromSeconds(11));
        table.Sweep();

        Assert.Equal(0, table.Count);
        Assert.Equal(0, counters.Expired);
    }

    [Fact]
    public void When_full_the_oldest_taken_record_goes_first_then_the_oldest_untaken()
    {
        var (table, counters) = NewTable(maxFlows: 3);
        FlowKey a = Key("198.51.100.1", 1), b = Key("198.51.100.2", 2), c = Key("198.51.100.3", 3), d = Key("198.51.100.4", 4), e = Key("198.51.100.5", 5);
        table.Observe(a, SegmentRole.Syn, true, Client("192.0.2.1", 1));
        table.Observe(b, SegmentRole.Syn, true, Client("192.0.2.2", 2));
        table.Observe(c, SegmentRole.Syn, true, Client("192.0.2.3", 3));
        Resolve(table, c);

        table.Observe(d, SegmentRole.Syn, true, Client("192.0.2.4", 4));
        Assert.Equal(0, counters.Evicted);

        table.Observe(e, SegmentRole.Syn, true, Client("192.0.2.5", 5));
        Assert.Equal(1, counters.Evicted);
        Assert.Equal(3, table.Count);
        Assert.Equal(FlowResolutionStatus.Unknown, Resolve(table, a).Status);
        Assert.Equal(FlowResolutionStatus.Found, Resolve(table, b).Status);
        Assert.Equal(FlowResolutionStatus.Found, Resolve(table, e).Status);
    }

    [Fact]
    public async Task Resolve_waits_for_the_drain_barrier_and_sees_what_the_capture_applied_meanwhile()
    {
        var (table, _) = NewTable();
        FlowKey key = Key("198.51.100.7", 40000);
        table.Observe(key, SegmentRole.Syn, false, default);
        table.DrainBarrier = async ct =>
        {
            await Task.Yield();
            table.Observe(key, SegmentRole.Ack, true, Client("192.0.2.55", 5555));
        };

        FlowResolution answer = await table.ResolveAsync(key, TimeSpan.FromSeconds(30), false, CancellationToken.None);

        Assert.Equal(FlowResolutionStatus.Found, answer.Status);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_record_left_by_an_earlier_connection_on_the_same_tuple_is_never_the_answer(bool earlierWasTaken)
    {
        var (table, _) = NewTable();
        FlowKey key = Key("198.51.100.7", 40000);
        table.Observe(key, SegmentRole.Syn, true, Client("192.0.2.55", 5555));
        if (earlierWasTaken)
        {
            Assert.True(Resolve(table, key).IsFound);
        }

        // The reused tuple's new SYN is still in the capture's queue when the relay asks.
        table.DrainBarrier = async _ =>
        {
            await Task.Yield();
            table.Observe(key, SegmentRole.Syn, true, Client("192.0.2.66", 6666));
        };
        FlowResolution answer = await table.ResolveAsync(key, TimeSpan.FromSeconds(30), false, CancellationToken.None);

        Assert.Equal(FlowResolutionStatus.Found, answer.Status);
        Assert.Equal(IPAddress.Parse("192.0.2.66"), answer.Client.Address.ToIPAddress());
    }

    [Fact]
    public async Task After_the_barrier_a_record_without_toa_answers_no_toa_at_once()
    {
        var (table, counters) = NewTable();
        FlowKey key = Key("198.51.100.7", 40000);
        table.Observe(key, SegmentRole.Syn, false, default);
        table.DrainBarrier = _ => ValueTask.CompletedTask;

        FlowResolution answer = await table.ResolveAsync(key, TimeSpan.FromSeconds(30), false, CancellationToken.None);

        Assert.Equal(FlowResolutionStatus.NoToa, answer.Status);
        Assert.True(answer.Waited < TimeSpan.FromSeconds(30));
        Assert.Equal(1, counters.ResolvedNoToa);
    }

    [Fact]
    public async Task A_barrier_that_never_completes_bounds_the_wait_and_answers_unknown()
    {
        var (table, counters) = NewTable();
        table.DrainBarrier = ct => new ValueTask(Task.Delay(Timeout.Infinite, ct));

        FlowResolution answer = await table.ResolveAsync(Key("198.51.100.7", 40000), TimeSpan.FromMilliseconds(50), false, CancellationToken.None);

        Assert.Equal(FlowResolutionStatus.Unknown, answer.Status);
        Assert.Equal(1, counters.ResolvedUnknown);
    }

    [Fact]
    public async Task Waiting_for_data_picks_up_toa_carried_only_by_the_first_data_packet()
    {
        var (table, _) = NewTable();
        FlowKey key = Key("198.51.100.7", 40000);
        table.Observe(key, SegmentRole.Syn, false, default);
        table.DrainBarrier = _ => ValueTask.CompletedTask;

        ValueTask<FlowResolution> pending = table.ResolveAsync(key, TimeSpan.FromSeconds(30), true, CancellationToken.None);
        Assert.False(pending.IsCompleted);
        table.Observe(key, SegmentRole.Data, true, Client("192.0.2.55", 5555));
        FlowResolution answer = await pending;

        Assert.Equal(FlowResolutionStatus.Found, answer.Status);
    }

    [Fact]
    public async Task Waiting_for_data_answers_no_toa_when_data_arrives_without_it()
    {
        var (table, _) = NewTable();
        FlowKey key = Key("198.51.100.7", 40000);
        table.Observe(key, SegmentRole.Syn, false, default);
        table.DrainBarrier = _ => ValueTask.CompletedTask;

        ValueTask<FlowResolution> pending = table.ResolveAsync(key, TimeSpan.FromSeconds(30), true, CancellationToken.None);
        table.Observe(key, SegmentRole.Data, false, default);

        Assert.Equal(FlowResolutionStatus.NoToa, (await pending).Status);
    }

    [Fact]
    public async Task Client_data_reported_by_the_relay_answers_a_data_wait_with_no_toa_at_once()
    {
        var (table, counters) = NewTable();
        FlowKey key = Key("198.51.100.7", 40000);
        table.Observe(key, SegmentRole.Syn, false, default);
        table.DrainBarrier = _ => ValueTask.CompletedTask;

        ValueTask<FlowResolution> pending = table.ResolveAsync(key, TimeSpan.FromSeconds(30), true, CancellationToken.None);
        Assert.False(pending.IsCompleted);
        await table.ClientDataArrivedAsync(key, TimeSpan.FromSeconds(30), CancellationToken.None);
        FlowResolution answer = await pending;

        Assert.Equal(FlowResolutionStatus.NoToa, answer.Status);
        Assert.True(answer.Waited < TimeSpan.FromSeconds(30));
        Assert.Equal(1, counters.ResolvedNoToa);
    }

    [Fact]
    public async Task Client_data_reported_by_the_relay_is_answered_with_the_toa_its_packet_carried()
    {
        var (table, _) = NewTable();
        FlowKey key = Key("198.51.100.7", 40000);
        table.Observe(key, SegmentRole.Syn, false, default);
        table.DrainBarrier = _ => ValueTask.CompletedTask;
        ValueTask<FlowResolution> pending = table.ResolveAsync(key, TimeSpan.FromSeconds(30), true, CancellationToken.None);

        // The data packet with TOA is still in the capture's queue when the relay reports the data.
        table.DrainBarrier = async _ =>
        {
            await Task.Yield();
            table.Observe(key, SegmentRole.Data, true, Client("192.0.2.55", 5555));
        };
        await table.ClientDataArrivedAsync(key, TimeSpan.FromSeconds(30), CancellationToken.None);
        FlowResolution answer = await pending;

        Assert.Equal(FlowResolutionStatus.Found, answer.Status);
        Assert.Equal(IPAddress.Parse("192.0.2.55"), answer.Client.Address.ToIPAddress());
    }

    [Fact]
    public async Task Client_data_reported_while_the_capture_is_behind_leaves_the_wait_to_its_end()
    {
        var (table, _) = NewTable();
        FlowKey key = Key("198.51.100.7", 40000);
        table.Observe(key, SegmentRole.Syn, false, default);
        table.DrainBarrier = _ => ValueTask.CompletedTask;
        ValueTask<FlowResolution> pending = table.ResolveAsync(key, TimeSpan.FromSeconds(30), true, CancellationToken.None);

        // The data's packets may not be recorded yet: answering NoToa now could lose their TOA.
        table.DrainBarrier = ct => new ValueTask(Task.Delay(Timeout.Infinite, ct));
        await table.ClientDataArrivedAsync(key, TimeSpan.FromMilliseconds(100), CancellationToken.None);
        Assert.False(pending.IsCompleted);

        table.Observe(key, SegmentRole.Data, true, Client("192.0.2.55", 5555));
        Assert.Equal(FlowResolutionStatus.Found, (await pending).Status);
    }

    [Fact]
    public void Ipv6_clients_are_counted_in_and_out()
    {
        var (table, counters) = NewTable(maxFlows: 1);
        table.Observe(Key("198.51.100.7", 1), SegmentRole.Syn, true, Client("2001:db8::7", 7, 253));
        table.Observe(Key("198.51.100.8", 2), SegmentRole.Syn, false, default);

        Assert.Equal(1, counters.Ipv6ClientsStored);
        Assert.Equal(1, counters.Ipv6ClientsReleased);
    }

    [Fact]
    public void Snapshot_pages_through_the_table_with_a_cursor()
    {
        var (table, _) = NewTable();
        for (ushort port = 1; port <= 25; port++)
        {
            table.Observe(Key("198.51.100.7", port), SegmentRole.Syn, false, default);
        }

        var rows = new List<FlowEntrySnapshot>();
        int cursor = 0, pages = 0;
        do
        {
            cursor = table.Snapshot(cursor, 10, rows);
            pages++;
        }
        while (cursor >= 0 && pages < 10);

        Assert.Equal(25, rows.Select(r => r.Key.PeerPort).Distinct().Count());
        Assert.Equal(3, pages);
    }

    [Fact]
    public void A_flood_of_distinct_syns_with_toa_keeps_the_table_at_max_flows_and_allocates_nothing_per_syn()
    {
        const int maxFlows = 10_000;
        var (table, counters) = NewTable(maxFlows: maxFlows);
        ToaClient client = Client("192.0.2.1", 1);

        void Flood(int from, int count)
        {
            for (int i = from; i < from + count; i++)
            {
                var key = new FlowKey(NetAddress.FromIPv4((uint)(0xC6336400 + (i >> 16))), (ushort)i, NetAddress.FromIPv4(0xCB00710A), 8080);
                table.Observe(key, SegmentRole.Syn, true, client);
            }
        }

        Flood(0, 50_000);
        // This thread's own allocations: the process-wide heap also holds what tests running in
        // parallel allocate.
        long before = GC.GetAllocatedBytesForCurrentThread();
        Flood(50_000, 150_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(maxFlows, table.Count);
        Assert.Equal(200_000 - maxFlows, counters.Evicted);
        Assert.True(allocated < 64 * 1024, $"{allocated} bytes allocated for 150,000 SYNs while the table stayed full");
    }
}
