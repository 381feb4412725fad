using System.Net;

namespace ToaProxy.Relay.Epoll;

/// <summary>What a <see cref="RelayWorker"/> hands accepted sockets to: the listener that owns the listening socket.</summary>
internal interface IConnectionAcceptor
{
    /// <summary>
    /// Takes an accepted non-blocking socket; runs on <paramref name="worker"/>'s thread and must not
    /// block. Returns the connection the worker now owns and starts, or null when the socket was
    /// refused or handed to the managed relay.
    /// </summary>
    EpollConnection? OnAccepted(RelayWorker worker, int fd, IPEndPoint peer);

    /// <summary>accept(2) failed with something other than a lost connection; the worker pauses this listener briefly.</summary>
    void OnAcceptFailed(int errno);
}
