namespace ToaProxy.Testing;

/// <summary>How the test HAProxy frontend handles a connection after the PROXY header.</summary>
public enum HaproxyMode
{
    /// <summary>mode http: answers with http-request return and logs per request.</summary>
    Http,
    /// <summary>mode tcp: forwards to an internal HTTP frontend and logs when the connection closes.</summary>
    Tcp,
}
