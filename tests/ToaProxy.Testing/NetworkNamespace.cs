using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ToaProxy.Testing;

/// <summary>
/// A network namespace the test creates (<c>ip netns add</c>, loopback up) and deletes on dispose,
/// with its veth links. Processes run in it through <see cref="Launcher"/>; the test's own sockets
/// are created in it by <see cref="CreateSocket"/> (a socket stays in the namespace it was created in).
/// </summary>
public sealed partial class NetworkNamespace : IDisposable
{
    private const int CloneNewNet = 0x40000000;
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(10);
    private readonly string _ip;

    private NetworkNamespace(string ip, string name)
    {
        _ip = ip;
        Name = name;
    }

    public string Name { get; }

    /// <summary>Prefix that runs a command inside the namespace.</summary>
    public IReadOnlyList<string> Launcher => [_ip, "netns", "exec", Name];

    /// <summary>Needs root and <c>ip</c> (skips or fails under CI through <see cref="Requires"/>).</summary>
    public static NetworkNamespace Create()
    {
        Requires.Root();
        string ip = Requires.Command("ip");
        var created = new NetworkNamespace(ip, $"toatest-{Guid.NewGuid().ToString("N")[..10]}");
        RunIp(ip, "netns", "add", created.Name);
        try
        {
            created.Ip("link", "set", "lo", "up");
            return created;
        }
        catch
        {
            created.Dispose();
            throw;
        }
    }

    /// <summary>A veth pair between <paramref name="a"/> and <paramref name="b"/>, up, with the given
    /// addresses ("198.51.100.1/24"); returns the interface names on each side.</summary>
    public static (string InA, string InB) Link(NetworkNamespace a, string addressA, NetworkNamespace b, string addressB)
    {
        string suffix = Guid.NewGuid().ToString("N")[..8];
        (string inA, string inB) = ($"va{suffix}", $"vb{suffix}");
        RunIp(a._ip, "link", "add", inA, "netns", a.Name, "type", "veth", "peer", "name", inB, "netns", b.Name);
        a.Ip("addr", "add", addressA, "dev", inA);
        b.Ip("addr", "add", addressB, "dev", inB);
        a.Ip("link", "set", inA, "up");
        b.Ip("link", "set", inB, "up");
        return (inA, inB);
    }

    /// <summary><c>ip -n NAME args...</c>; throws with stderr on failure.</summary>
    public void Ip(params string[] arguments) => RunIp(_ip, ["-n", Name, .. arguments]);

    /// <summary>A socket created inside the namespace (on a short-lived thread that enters it).</summary>
    public Socket CreateSocket(AddressFamily family, SocketType type, ProtocolType protocol)
    {
        Socket? socket = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var original = File.OpenHandle("/proc/thread-self/ns/net");
                using var target = File.OpenHandle($"/run/netns/{Name}");
                Enter(target);
                try
                {
                    socket = new Socket(family, type, protocol);
                }
                finally
                {
                    Enter(original);
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        return socket ?? throw new InvalidOperationException($"cannot create a socket in netns {Name}", failure);
    }

    public void Dispose()
    {
        if (File.Exists($"/run/netns/{Name}"))
        {
            RunIp(_ip, "netns", "del", Name);
        }
    }

    private static void Enter(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        if (SetNs((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
        {
            throw new InvalidOperationException($"setns failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    private static void RunIp(string ip, params string[] arguments)
    {
        using ExternalProcess process = ExternalProcess.Start(ip, arguments);
        if (!process.WaitForExit(CommandTimeout) || process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', arguments)} failed:\n{process.Describe()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nsType);
}
