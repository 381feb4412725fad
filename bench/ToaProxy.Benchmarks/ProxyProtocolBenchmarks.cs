using System.Net;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Jobs;
using ToaProxy.Protocol;

namespace ToaProxy.Benchmarks;

/// <summary>Per-connection cost of the PROXY header codecs: the relay writes one header per
/// accepted connection, so writing must not allocate.</summary>
[MemoryDiagnoser]
[ShortRunJob(RuntimeMoniker.Net10_0)]
public class ProxyProtocolBenchmarks
{
    private static readonly ProxyV2CustomTlv[] VpcEndpoint = [new(0xEA, "vpce-0123456789abcdef0"u8.ToArray())];

    private readonly byte[] _buffer = new byte[512];
    private ProxyHeader _ipv4;
    private ProxyHeader _nat64;
    private byte[] _ipv4Header = [];
    private byte[] _headerWithTlvs = [];

    [GlobalSetup]
    public void Setup()
    {
        _ipv4 = ProxyHeader.Tcp(NetAddress.FromIPAddress(IPAddress.Parse("192.0.2.1")), 54321, NetAddress.FromIPAddress(IPAddress.Parse("198.51.100.7")), 443);
        _nat64 = ProxyHeader.Tcp(NetAddress.FromIPAddress(IPAddress.Parse("2001:db8::1")), 54321, NetAddress.FromIPAddress(IPAddress.Parse("198.51.100.7")), 443);
        _ipv4Header = _buffer[..ProxyV2Writer.Write(_ipv4, _buffer)];
        _headerWithTlvs = _buffer[..WriteV2Nat64WithCrcAndTlvs()];
    }

    [Benchmark]
    public int WriteV2IPv4() => ProxyV2Writer.Write(_ipv4, _buffer);

    [Benchmark]
    public int WriteV2Nat64WithCrcAndTlvs() => ProxyV2Writer.Write(
        _nat64,
        new ProxyV2TlvSet { Crc32C = true, UniqueId = "0123456789abcdef0123456789abcdef"u8, Authority = "example.com"u8, Custom = VpcEndpoint },
        _buffer);

    [Benchmark]
    public int WriteV1IPv4() => ProxyV1Writer.Write(_ipv4, _buffer);

    [Benchmark]
    public int ReadV2IPv4() => ProxyV2Reader.Read(_ipv4Header).HeaderLength;

    [Benchmark]
    public int ReadV2Nat64WithCrcAndTlvs()
    {
        ProxyV2ReadResult result = ProxyV2Reader.Read(_headerWithTlvs);
        return result.TryGetTlv(_headerWithTlvs, ProxyV2TlvType.UniqueId, out ReadOnlySpan<byte> id) ? id.Length : result.HeaderLength;
    }
}
