namespace ToaProxy.Protocol;

/// <summary>Outcome of a PROXY header reader. <see cref="NeedMoreData"/> is never a rejection:
/// every byte seen so far is a valid prefix of some header.</summary>
public enum ProxyReadStatus
{
    Complete,
    NeedMoreData,
    Invalid,
}
