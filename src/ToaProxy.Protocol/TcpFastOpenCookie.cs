namespace ToaProxy.Protocol;

/// <summary>
/// TCP Fast Open's pre-RFC 7413 cookie uses the shared experimental kind 254 with ExID 0xF989
/// (RFC 6994) in its first two data bytes. A 254/8 TFO cookie would otherwise decode as a TOA
/// client on port 63881, so both the decoder and the stripper leave it alone.
/// </summary>
public static class TcpFastOpenCookie
{
    private const byte MagicHigh = 0xF9;
    private const byte MagicLow = 0x89;

    public static bool Is(TcpOption option) =>
        option.Kind == TcpOptionKind.Experimental254
        && option.Data.Length >= 2
        && option.Data[0] == MagicHigh
        && option.Data[1] == MagicLow;
}
