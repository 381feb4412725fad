using System.Net;

namespace ToaProxy.Relay.Epoll;

/// <summary>What a <see cref="RelayWorker"/> hands accepted sockets to: the listener that owns the listening socket.</summary>
internal interface IConnectionAcceptor
{
    /// <summary>Takes an accepted non-blocking socket; runs on <paramref name="worker"/>'s thread and must not block.</summary>
    void OnAccepted(RelayWorker worker, int fd, IPEndPoint peer);

    /// <summary>accept(2) failed with something other than a lost connection; the worker pauses this listener briefly.</summary>
    void OnAcceptFailed(int errno);
}
