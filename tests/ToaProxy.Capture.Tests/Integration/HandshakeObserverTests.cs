using System.Net;
using CsCheck;
using ToaProxy.Capture.Flows;
using ToaProxy.Protocol;

namespace ToaProxy.Capture.Tests.Integration;

/// <summary>
/// The one decode path (frame → TCP → TOA → trust → table) on crafted raw IP frames: what must be
/// recorded, and every kind of frame that must be counted and dropped instead.
/// </summary>
public sealed class HandshakeObserverTests
{
    private const string LoadBalancer = "198.51.100.10";
    private const string Host = "198.51.100.200";
    private const string LoadBalancerV6 = "2001:db8:1b::10";
    private const string HostV6 = "2001:db8:1b::200";
    private const ushort ServicePort = 8080;
    private const ushort LoadBalancerPort = 40000;
    private const string RealClient = "203.0.113.7";
    private const ushort RealClientPort = 5555;

    private static readonly byte[] LinuxSyn = TestPackets.LinuxSynOptions;
    private static readonly byte[] LinuxTimestamps = TestPackets.LinuxTimestampOptions;
    private static readonly byte[] Toa254 = CraftedFrame.ToaV4(254, RealClientPort, RealClient);

    private sealed record Rig(FlowTable Table, CaptureCounters Counters, HandshakeObserver Observer, CountingLogger Logger);

    private static Rig NewRig(TrustedSourceList? trusted = null, bool stripOption = false, params ushort[] ports)
    {
        var counters = new CaptureCounters();
        var table = new FlowTable(new FlowTableOptions { MaxFlows = 1000 }, counters);
        var logger = new CountingLogger();
        var observer = new HandshakeObserver(
            table, ToaOptionTable.Default, trusted ?? TrustedSourceList.Everyone, ports.Length == 0 ? [ServicePort] : ports, stripOption, logger);
        return new Rig(table, counters, observer, logger);
    }

    private static TrustedSourceList Trust(string cidr)
    {
        Assert.True(CidrRange.TryParse(cidr, out CidrRange range, out string error), error);
        return new TrustedSourceList([range]);
    }

    private static FlowKey Key(string peer = LoadBalancer, ushort peerPort = LoadBalancerPort, string local = Host, ushort localPort = ServicePort) =>
        new(NetAddress.FromIPAddress(IPAddress.Parse(peer)), peerPort, NetAddress.FromIPAddress(IPAddress.Parse(local)), localPort);

    // No drain barrier is set, so the answer is final at once.
    private static FlowResolution Resolve(FlowTable table, FlowKey key) =>
        table.ResolveAsync(key, TimeSpan.FromSeconds(1), waitForData: false, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    private static byte[] Syn(byte[] toa, string source = LoadBalancer, string destination = Host, ushort destinationPort = ServicePort) =>
        CraftedFrame.Tcp(source, LoadBalancerPort, destination, destinationPort, TcpFlags.Syn, [.. LinuxSyn, .. toa]);

    [Theory]
    [InlineData(LoadBalancer, Host, 254, RealClient)]
    [InlineData(LoadBalancer, Host, 253, "2001:db8:c::7")]
    [InlineData(LoadBalancerV6, HostV6, 254, "2001:db8:c::7")]
    [InlineData(LoadBalancerV6, HostV6, 200, RealClient)]
    public void Trusted_toa_on_the_syn_is_recorded_and_found(string source, string destination, byte kind, string client)
    {
        Rig rig = NewRig(Trust(source.Contains(':') ? "2001:db8:1b::/48" : "198.51.100.0/24"));
        byte[] toa = client.Contains(':') ? CraftedFrame.ToaV6(kind, RealClientPort, client) : CraftedFrame.ToaV4(kind, RealClientPort, client);
        byte[] syn = CraftedFrame.Tcp(source, LoadBalancerPort, destination, ServicePort, TcpFlags.Syn, [.. LinuxSyn, .. toa]);

        Assert.False(rig.Observer.OnFrame(syn, LinkType.RawIp, mayModify: false));
        FlowResolution answer = Resolve(rig.Table, Key(source, LoadBalancerPort, destination));

        Assert.Equal(FlowResolutionStatus.Found, answer.Status);
        Assert.Equal(IPAddress.Parse(client), answer.Client.Address.ToIPAddress());
        Assert.Equal(RealClientPort, answer.Client.Port);
        Assert.Equal(kind, answer.Client.Kind);
        Assert.Equal(1, rig.Counters.Syns);
        Assert.Equal(1, rig.Counters.ToaRecorded);
    }

    [Fact]
    public void Toa_on_the_handshake_ack_after_a_plain_syn_is_found()
    {
        Rig rig = NewRig();
        rig.Observer.OnFrame(Syn([]), LinkType.RawIp, false);
        rig.Observer.OnFrame(CraftedFrame.Tcp(LoadBalancer, LoadBalancerPort, Host, ServicePort, TcpFlags.Ack, [.. LinuxTimestamps, .. Toa254]), LinkType.RawIp, false);

        FlowResolution answer = Resolve(rig.Table, Key());

        Assert.Equal(FlowResolutionStatus.Found, answer.Status);
        Assert.Equal(IPAddress.Parse(RealClient), answer.Client.Address.ToIPAddress());
    }

    [Fact]
    public void Toa_from_an_untrusted_source_is_counted_and_not_recorded()
    {
        Rig rig = NewRig(Trust("198.51.100.0/24"));
        const string Spoofer = "203.0.113.66";

        rig.Observer.OnFrame(Syn(Toa254, source: Spoofer), LinkType.RawIp, false);
        FlowResolution answer = Resolve(rig.Table, Key(peer: Spoofer));

        Assert.Equal(FlowResolutionStatus.NoToa, answer.Status);
        Assert.Equal(1, rig.Counters.Untrusted);
        Assert.Equal(1, rig.Counters.ToaOptionsSeen);
        Assert.Equal(0, rig.Counters.ToaRecorded);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Malformed_toa_is_counted_and_even_a_valid_option_in_the_same_packet_is_ignored(bool validFirst)
    {
        Rig rig = NewRig();
        byte[] wrongLength = [254, 10, 0x15, 0xB3, 203, 0, 113, 8, 0, 0];
        byte[] options = validFirst ? [.. Toa254, .. wrongLength] : [.. wrongLength, .. Toa254];

        rig.Observer.OnFrame(CraftedFrame.Tcp(LoadBalancer, LoadBalancerPort, Host, ServicePort, TcpFlags.Syn, options), LinkType.RawIp, false);
        FlowResolution answer = Resolve(rig.Table, Key());

        Assert.Equal(FlowResolutionStatus.NoToa, answer.Status);
        Assert.Equal(1, rig.Counters.Malformed);
        Assert.Equal(0, rig.Counters.ToaRecorded);
    }

    [Fact]
    public void Toa_with_an_unspecified_client_address_is_malformed()
    {
        Rig rig = NewRig();

        rig.Observer.OnFrame(Syn(CraftedFrame.ToaV4(200, RealClientPort, "0.0.0.0")), LinkType.RawIp, false);

        Assert.Equal(FlowResolutionStatus.NoToa, Resolve(rig.Table, Key()).Status);
        Assert.Equal(1, rig.Counters.Malformed);
    }

    [Fact]
    public void A_reset_is_ignored_even_with_toa_and_leaves_an_existing_record_alone()
    {
        Rig rig = NewRig();
        byte[] reset = CraftedFrame.Tcp(LoadBalancer, LoadBalancerPort, Host, ServicePort, TcpFlags.Rst | TcpFlags.Ack, Toa254);

        rig.Observer.OnFrame(reset, LinkType.RawIp, false);
        Assert.Equal(0, rig.Table.Count);

        rig.Observer.OnFrame(Syn(CraftedFrame.ToaV4(200, 7777, "203.0.113.9")), LinkType.RawIp, false);
        rig.Observer.OnFrame(reset, LinkType.RawIp, false);
        FlowResolution answer = Resolve(rig.Table, Key());

        Assert.Equal(IPAddress.Parse("203.0.113.9"), answer.Client.Address.ToIPAddress());
        Assert.Equal(0, rig.Counters.Conflicts);
        Assert.Equal(1, rig.Counters.ToaOptionsSeen); // the SYN's; resets are dropped before decoding
    }

    [Fact]
    public void Segments_to_other_ports_are_ignored()
    {
        Rig rig = NewRig(ports: [ServicePort, 8443]);

        rig.Observer.OnFrame(Syn(Toa254, destinationPort: 9090), LinkType.RawIp, false);

        Assert.Equal(0, rig.Table.Count);
        Assert.Equal(1, rig.Counters.Frames);
        Assert.Equal(0, rig.Counters.Syns);
        Assert.Equal(0, rig.Counters.ToaOptionsSeen);
        Assert.Equal(FlowResolutionStatus.Unknown, Resolve(rig.Table, Key(localPort: 9090)).Status);
    }

    public static TheoryData<string, byte[]> UnparseableFrames()
    {
        byte[] syn = Syn(Toa254);
        byte[] udp = (byte[])syn.Clone();
        udp[9] = 17;
        byte[] fragment = (byte[])syn.Clone();
        fragment[6] = 0x20; // more fragments
        byte[] badDataOffset = (byte[])syn.Clone();
        badDataOffset[20 + 12] = 0xF0; // 60-byte TCP header in a shorter segment
        return new TheoryData<string, byte[]>
        {
            { "empty", [] },
            { "not IP", [0x10, 0, 0, 0] },
            { "IPv4 header cut short", syn[..12] },
            { "TCP header cut short", syn[..30] },
            { "UDP", udp },
            { "IPv4 fragment", fragment },
            { "data offset beyond the segment", badDataOffset },
        };
    }

    [Theory]
    [MemberData(nameof(UnparseableFrames))]
    public void Frames_that_do_not_parse_are_counted_and_dropped(string what, byte[] frame)
    {
        Rig rig = NewRig();

        Assert.False(rig.Observer.OnFrame(frame, LinkType.RawIp, mayModify: true), what);

        Assert.Equal(1, rig.Counters.Frames);
        Assert.Equal(1, rig.Counters.NotParseable);
        Assert.Equal(0, rig.Table.Count);
        Assert.Equal(0, rig.Logger.Errors);
    }

    [Theory]
    [InlineData(LoadBalancer, Host)]
    [InlineData(LoadBalancerV6, HostV6)]
    public void Strip_option_with_may_modify_nops_out_the_toa_keeps_the_checksum_valid_and_still_records(string source, string destination)
    {
        Rig rig = NewRig(stripOption: true);
        byte[] frame = CraftedFrame.Tcp(source, LoadBalancerPort, destination, ServicePort, TcpFlags.Syn, [.. LinuxSyn, .. Toa254]);
        byte[] original = (byte[])frame.Clone();
        int toaOffset = frame.Length - Toa254.Length;
        Assert.Equal(Toa254, frame[toaOffset..]);

        Assert.True(rig.Observer.OnFrame(frame, LinkType.RawIp, mayModify: true));

        Assert.All(frame[toaOffset..], b => Assert.Equal(TcpOptionKind.NoOperation, b));
        for (int i = 0; i < toaOffset; i++)
        {
            // Only the option bytes and the TCP checksum may change.
            Assert.True(IsTcpChecksumByte(frame, i) || frame[i] == original[i], $"byte {i} changed");
        }
        Assert.True(TcpChecksum.Verify(frame));
        Assert.Equal(1, rig.Counters.Stripped);
        Assert.Equal(FlowResolutionStatus.Found, Resolve(rig.Table, Key(source, LoadBalancerPort, destination)).Status);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void Without_strip_option_or_without_may_modify_the_frame_is_left_untouched(bool stripOption, bool mayModify)
    {
        Rig rig = NewRig(stripOption: stripOption);
        byte[] frame = Syn(Toa254);
        byte[] original = (byte[])frame.Clone();

        Assert.False(rig.Observer.OnFrame(frame, LinkType.RawIp, mayModify));

        Assert.Equal(original, frame);
        Assert.Equal(0, rig.Counters.Stripped);
        Assert.Equal(1, rig.Counters.ToaRecorded);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_reused_tuple_whose_new_syn_has_no_toa_answers_no_toa_never_the_earlier_client(bool firstWasResolved)
    {
        Rig rig = NewRig();
        rig.Observer.OnFrame(Syn(Toa254), LinkType.RawIp, false);
        if (firstWasResolved)
        {
            Assert.Equal(FlowResolutionStatus.Found, Resolve(rig.Table, Key()).Status);
        }

        rig.Observer.OnFrame(Syn([]), LinkType.RawIp, false);
        rig.Observer.OnFrame(CraftedFrame.Tcp(LoadBalancer, LoadBalancerPort, Host, ServicePort, TcpFlags.Ack, LinuxTimestamps), LinkType.RawIp, false);
        FlowResolution second = Resolve(rig.Table, Key());

        Assert.Equal(FlowResolutionStatus.NoToa, second.Status);
        Assert.Equal(default, second.Client);
        Assert.Equal(firstWasResolved ? 0 : 1, rig.Counters.Replaced);
    }

    [Fact]
    public void Random_bytes_on_every_link_type_never_reach_the_fault_guard()
    {
        Rig rig = NewRig(stripOption: true, ports: []);
        LinkType[] linkTypes = [LinkType.RawIp, LinkType.Ethernet, LinkType.LinuxSll, LinkType.LinuxSll2, (LinkType)999];
        long calls = 0;

        // Sample runs on several threads at once; the observer's counters are interlocked and the table locks.
        Gen.Select(Gen.Byte.Array[0, 160], Gen.OneOf(linkTypes), Gen.Bool).Sample((frame, linkType, mayModify) =>
        {
            rig.Observer.OnFrame(frame, linkType, mayModify);
            Interlocked.Increment(ref calls);
        }, iter: 20_000);

        Assert.Equal(0, rig.Logger.Errors);
        Assert.Equal(Interlocked.Read(ref calls), rig.Counters.Frames);
    }

    [Fact]
    public void Valid_frames_with_random_byte_flips_never_reach_the_fault_guard()
    {
        Rig rig = NewRig(stripOption: true, ports: []);
        byte[][] seeds =
        [
            Syn(Toa254),
            Syn([254, 16, 0x15, 0xB3, 203, 0, 113, 7, 0, 0, 0, 80, 198, 51, 100, 1]),
            CraftedFrame.Tcp(LoadBalancerV6, LoadBalancerPort, HostV6, ServicePort, TcpFlags.Ack, [.. LinuxTimestamps, .. CraftedFrame.ToaV6(253, 9, "2001:db8::9")], 20),
        ];

        Gen.Select(Gen.Int[0, seeds.Length - 1], Gen.Select(Gen.Int[0, 100], Gen.Byte).Array[1, 6], Gen.Bool).Sample((seed, flips, mayModify) =>
        {
            byte[] frame = (byte[])seeds[seed].Clone();
            foreach ((int position, byte value) in flips)
            {
                frame[position % frame.Length] = value;
            }

            rig.Observer.OnFrame(frame, LinkType.RawIp, mayModify);
        }, iter: 20_000);

        Assert.Equal(0, rig.Logger.Errors);
    }

    private static bool IsTcpChecksumByte(byte[] packet, int index)
    {
        int tcpOffset = packet[0] >> 4 == 4 ? 20 : 40;
        return index == tcpOffset + 16 || index == tcpOffset + 17;
    }
}
