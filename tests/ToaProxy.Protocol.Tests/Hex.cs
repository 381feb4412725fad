namespace ToaProxy.Protocol.Tests;

/// <summary>Hex literals for hand-written vectors; whitespace and '|' separators are ignored.</summary>
internal static class Hex
{
    public static byte[] Bytes(string hex) =>
        Convert.FromHexString(new string(hex.Where(c => !char.IsWhiteSpace(c) && c != '|').ToArray()));
}
