namespace ToaProxy.Protocol;

/// <summary>What <see cref="ProxyV1Reader.Read"/> found; on Complete the line, CRLF included,
/// is the first <see cref="HeaderLength"/> bytes of the input.</summary>
public readonly record struct ProxyV1ReadResult(ProxyReadStatus Status, ProxyV1Rejection Rejection, ProxyHeader Header, int HeaderLength)
{
    public bool IsComplete => Status == ProxyReadStatus.Complete;

    public static ProxyV1ReadResult NeedMoreData => new(ProxyReadStatus.NeedMoreData, ProxyV1Rejection.None, default, 0);

    public static ProxyV1ReadResult Invalid(ProxyV1Rejection rejection) => new(ProxyReadStatus.Invalid, rejection, default, 0);
}
