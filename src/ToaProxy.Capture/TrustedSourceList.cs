using ToaProxy.Protocol;

namespace ToaProxy.Capture;

/// <summary>The load balancers allowed to announce a client. Empty trusts every source.</summary>
public sealed class TrustedSourceList(IReadOnlyList<CidrRange> ranges)
{
    public static TrustedSourceList Everyone { get; } = new([]);

    public IReadOnlyList<CidrRange> Ranges { get; } = ranges;

    public bool TrustsEveryone => Ranges.Count == 0;

    public bool IsTrusted(NetAddress source)
    {
        if (Ranges.Count == 0)
        {
            return true;
        }

        foreach (CidrRange range in Ranges)
        {
            if (range.Contains(source))
            {
                return true;
            }
        }

        return false;
    }
}
