namespace ToaProxy.Relay;

/// <summary>How one direction of a relayed connection ended.</summary>
public enum RelayEnd
{
    /// <summary>The source sent FIN; a FIN was passed on after all its data.</summary>
    Fin,
    /// <summary>The source reset the connection; an RST was passed on.</summary>
    Reset,
    /// <summary>The proxy closed it (idle timeout, shutdown, or the other side failed).</summary>
    Aborted,
}
