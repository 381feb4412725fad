namespace ToaProxy.Protocol;

/// <summary>TCP option kinds (IANA) that the option walker and the TOA code treat specially.</summary>
public static class TcpOptionKind
{
    /// <summary>End of option list: the walk stops here (RFC 9293).</summary>
    public const byte EndOfOptionList = 0;

    /// <summary>A single padding byte with no length; also what TOA options are overwritten with.</summary>
    public const byte NoOperation = 1;

    /// <summary>RFC 6994 shared experimental kind; TOA uses it, and so does TCP Fast Open's experimental cookie.</summary>
    public const byte Experimental254 = 254;
}
