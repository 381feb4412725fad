using System.Net;
using System.Net.Sockets;
using ToaProxy.Configuration;

namespace ToaProxy.Diagnostics;

/// <summary>Whether a listener's address can be bound now (a bind-and-listen test, closed at once).</summary>
public static class ListenerPortCheck
{
    public static CheckResult Run(ListenerSettings listener)
    {
        string name = $"listener {listener.Name}";
        IPEndPoint endpoint = listener.Listen;
        try
        {
            using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(endpoint);
            socket.Listen(1);
            return CheckResult.Ok(name, $"{endpoint} is free to listen on");
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            string holder = RunningToaproxy() is int pid ? $" (toaproxy pid {pid} is running and probably holds it)" : string.Empty;
            return CheckResult.Fail(
                name,
                $"{endpoint} is already in use{holder}",
                $"find the owner with: ss -ltnp 'sport = :{endpoint.Port}'; stop it or change Listen (checking a running toaproxy? stop it first, or ignore this line)");
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressNotAvailable)
        {
            return CheckResult.Fail(name, $"{endpoint}: no interface of this host has that address", "use 0.0.0.0 / [::] or an address shown by: ip -br addr");
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AccessDenied)
        {
            return CheckResult.Fail(name, $"{endpoint}: ports below 1024 need CAP_NET_BIND_SERVICE", "use a port from 1024 up, or grant it: systemd AmbientCapabilities=CAP_NET_BIND_SERVICE");
        }
        catch (SocketException e)
        {
            return CheckResult.Fail(name, $"{endpoint} cannot be bound: {e.Message}", "fix Listen in the config");
        }
    }

    private static int? RunningToaproxy()
    {
        try
        {
            foreach (string directory in Directory.EnumerateDirectories("/proc"))
            {
                if (int.TryParse(Path.GetFileName(directory), out int pid) && pid != Environment.ProcessId
                    && File.Exists(Path.Combine(directory, "comm"))
                    && File.ReadAllText(Path.Combine(directory, "comm")).Trim() == "toaproxy")
                {
                    return pid;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A process that exits while /proc is walked: no answer is fine, the message stays generic.
        }

        return null;
    }
}
