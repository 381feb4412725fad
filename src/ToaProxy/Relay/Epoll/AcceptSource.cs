namespace ToaProxy.Relay.Epoll;

/// <summary>A listening socket as the workers see it: every worker's epoll set holds it (EPOLLEXCLUSIVE), so an idle worker takes the next connection.</summary>
internal sealed class AcceptSource(int id, int fd, IConnectionAcceptor acceptor)
{
    public int Id { get; } = id;

    public int Fd { get; } = fd;

    public IConnectionAcceptor Acceptor { get; } = acceptor;
}
