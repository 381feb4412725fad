namespace ToaProxy.Protocol.Tests;

/// <summary>Common non-TOA options as a Linux stack sends them, and TOA options written from the notes' table.</summary>
internal static class TcpOptionBytes
{
    public static readonly byte[] Mss = [2, 4, 0x05, 0xB4];
    public static readonly byte[] SackPermitted = [4, 2];
    public static readonly byte[] Timestamps = [8, 10, 0, 0, 0x12, 0x34, 0, 0, 0, 0];
    public static readonly byte[] Nop = [1];
    public static readonly byte[] WindowScale = [3, 3, 7];

    /// <summary>254/8: client 203.0.113.7 port 12345 (0x3039).</summary>
    public static readonly byte[] Toa254V4 = [254, 8, 0x30, 0x39, 203, 0, 113, 7];

    /// <summary>253/20: client 2001:db8::7 port 12345.</summary>
    public static readonly byte[] Toa253V6 = [253, 20, 0x30, 0x39, 0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7];

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(part => part).ToArray();
}
