using System.Net;
using ToaProxy.Testing;

namespace ToaProxy.Protocol.Tests;

/// <summary>Sends a header from our writers plus a GET to a real backend, then checks the
/// response and that the backend logged exactly the addresses the header carried.</summary>
internal static class ProxyInteropAssertions
{
    public static readonly TimeSpan ExchangeTimeout = TimeSpan.FromSeconds(10);

    public static readonly NetAddress Client4 = Address("192.0.2.1");
    public static readonly NetAddress Client6 = Address("2001:db8::1");
    public static readonly NetAddress Server4 = Address("198.51.100.7");
    public static readonly NetAddress Server6 = Address("2001:db8::2");

    /// <summary>A client port unlikely to repeat, so the log record of this exchange is unambiguous.</summary>
    public static ushort UniqueClientPort() => (ushort)Random.Shared.Next(20_000, 65_000);

    public static byte[] V2(ProxyHeader header, ProxyV2TlvSet tlvs)
    {
        var buffer = new byte[ProxyV2Writer.GetLength(header, tlvs)];
        ProxyV2Writer.Write(header, tlvs, buffer);
        return buffer;
    }

    public static byte[] V1(ProxyHeader header)
    {
        var buffer = new byte[ProxyV1Writer.MaxLength];
        return buffer[..ProxyV1Writer.Write(header, buffer)];
    }

    /// <summary>Returns the record, for further checks on its TLV fields.</summary>
    public static BackendLogRecord AssertLogged(IProxyProtocolBackend backend, IPEndPoint target, byte[] preamble, ProxyHeader expected)
    {
        string response = RawHttpExchange.Get(target, preamble, ExchangeTimeout);
        Assert.True(
            response.StartsWith("HTTP/1.1 200", StringComparison.Ordinal) && response.EndsWith(backend.Body, StringComparison.Ordinal),
            $"{backend.Name} answered '{response}'{Environment.NewLine}{backend.Describe()}");

        BackendLogRecord? record = backend.WaitForRecord(r => r.Client?.Port == expected.SourcePort, ExchangeTimeout);
        Assert.True(record is not null, $"{backend.Name} logged no record for client port {expected.SourcePort}{Environment.NewLine}{backend.Describe()}");
        Assert.Equal(expected.Source, NetAddress.FromIPAddress(record.Client!.Address));
        Assert.True(record.Server is not null, record.Line);
        Assert.Equal(expected.Destination, NetAddress.FromIPAddress(record.Server.Address));
        Assert.Equal(expected.DestinationPort, record.Server.Port);
        return record;
    }

    /// <summary>A header the backend must refuse: no 200 response and no record for its client port.</summary>
    public static void AssertRejected(IProxyProtocolBackend backend, IPEndPoint target, byte[] preamble, ushort clientPort)
    {
        string response = RawHttpExchange.Get(target, preamble, ExchangeTimeout);
        Assert.False(response.StartsWith("HTTP/1.1 200", StringComparison.Ordinal), $"{backend.Name} accepted: {response}");
        Assert.Null(backend.WaitForRecord(r => r.Client?.Port == clientPort, TimeSpan.FromMilliseconds(500)));
    }

    private static NetAddress Address(string text) => NetAddress.FromIPAddress(IPAddress.Parse(text));
}
