namespace ToaProxy.Capture.Iptables;

/// <summary>An iptables/ip6tables invocation failed; the message names the command line and its stderr.</summary>
public sealed class IptablesException : Exception
{
    public IptablesException(string message)
        : base(message)
    {
    }

    public IptablesException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
