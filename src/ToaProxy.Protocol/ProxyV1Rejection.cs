namespace ToaProxy.Protocol;

/// <summary>Why a PROXY v1 line was rejected (for counters and logs).</summary>
public enum ProxyV1Rejection
{
    None,
    /// <summary>The input does not start with "PROXY ".</summary>
    BadPrefix,
    /// <summary>No CRLF within the first 107 bytes.</summary>
    TooLong,
    /// <summary>A line feed not preceded by a carriage return.</summary>
    BareLineFeed,
    /// <summary>The protocol is not TCP4, TCP6 or UNKNOWN.</summary>
    UnknownProtocol,
    /// <summary>A missing field, a doubled or trailing space, or an extra field.</summary>
    BadSeparator,
    /// <summary>Not an address of the line's family (TCP4: dotted quad without leading zeros; TCP6: RFC 4291).</summary>
    BadSourceAddress,
    BadDestinationAddress,
    /// <summary>Not a decimal 0–65535 without leading zeros.</summary>
    BadSourcePort,
    BadDestinationPort,
}
