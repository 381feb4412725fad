using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ToaProxy.Testing;

/// <summary>
/// A network namespace the test creates, so rules and routes it installs never touch the host's;
/// Dispose deletes it and with it every rule, route and interface in it. Processes run inside it
/// through <see cref="Launcher"/>; in-process sockets and the load-balancer emulator are created
/// inside it by <see cref="Enter{T}"/>, which runs code on a thread moved into the namespace
/// (a socket stays in the namespace it was created in; a child process inherits its thread's).
/// </summary>
public sealed partial class NetworkNamespace : IDisposable
{
    private const int CloneNewNet = 0x40000000;

    private NetworkNamespace(string name) => Name = name;

    public string Name { get; }

    /// <summary>The uplink's IPv4 address (<see cref="CreateWithUplink"/> only).</summary>
    public IPAddress IPv4 { get; } = IPAddress.Parse("198.51.100.1");

    /// <summary>The uplink's IPv6 address (<see cref="CreateWithUplink"/> only).</summary>
    public IPAddress IPv6 { get; } = IPAddress.Parse("2001:db8:1::1");

    /// <summary>Prefix of a command line that runs inside the namespace.</summary>
    public IReadOnlyList<string> Launcher => [Requires.Command("ip"), "netns", "exec", Name];

    /// <summary>Creates the namespace with only lo, up (root and the ip command required).</summary>
    public static NetworkNamespace Create()
    {
        Requires.Root();
        Requires.Command("ip");
        var ns = new NetworkNamespace($"toatest-{Guid.NewGuid().ToString("N")[..10]}");
        RunIp("netns", "add", ns.Name);
        try
        {
            ns.Ip("link", "set", "lo", "up");
            return ns;
        }
        catch
        {
            ns.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A namespace shaped like a real host: a veth pair with both ends inside, end veth0 holding
    /// <see cref="IPv4"/> and <see cref="IPv6"/> and carrying the default routes.
    /// </summary>
    public static NetworkNamespace CreateWithUplink()
    {
        NetworkNamespace ns = Create();
        try
        {
            ns.Ip("link", "add", "veth0", "type", "veth", "peer", "name", "veth1");
            ns.Ip("link", "set", "veth0", "up");
            ns.Ip("link", "set", "veth1", "up");
            ns.Ip("addr", "add", $"{ns.IPv4}/24", "dev", "veth0");
            ns.Ip("addr", "add", $"{ns.IPv6}/64", "dev", "veth0", "nodad");
            // A host has a default route; replies are routed by it before the mangle rules re-route them to lo.
            ns.Ip("-4", "route", "add", "default", "dev", "veth0");
            ns.Ip("-6", "route", "add", "default", "dev", "veth0");
            return ns;
        }
        catch
        {
            ns.Dispose();
            throw;
        }
    }

    /// <summary>A veth pair between <paramref name="a"/> and <paramref name="b"/>, up, with the given
    /// addresses ("198.51.100.1/24"); returns the interface names on each side.</summary>
    public static (string InA, string InB) Link(NetworkNamespace a, string addressA, NetworkNamespace b, string addressB)
    {
        string suffix = Guid.NewGuid().ToString("N")[..8];
        (string inA, string inB) = ($"va{suffix}", $"vb{suffix}");
        RunIp("link", "add", inA, "netns", a.Name, "type", "veth", "peer", "name", inB, "netns", b.Name);
        a.Ip("addr", "add", addressA, "dev", inA);
        b.Ip("addr", "add", addressB, "dev", inB);
        a.Ip("link", "set", inA, "up");
        b.Ip("link", "set", inB, "up");
        return (inA, inB);
    }

    /// <summary>Runs <c>ip -n NAME args</c>; returns stdout, throws with stderr on failure.</summary>
    public string Ip(params string[] arguments) => RunIp(["-n", Name, .. arguments]);

    /// <summary>Runs a command inside the namespace; returns stdout, throws with stderr on failure.</summary>
    public string Exec(params string[] command) => Run(Requires.Command("ip"), ["netns", "exec", Name, .. command]);

    /// <summary>A socket created inside the namespace.</summary>
    public Socket CreateSocket(AddressFamily family, SocketType type, ProtocolType protocol) =>
        Enter(() => new Socket(family, type, protocol));

    /// <summary>Runs <paramref name="action"/> on a new thread inside the namespace and returns its result.</summary>
    public T Enter<T>(Func<T> action)
    {
        T? result = default;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using SafeFileHandle handle = File.OpenHandle($"/var/run/netns/{Name}");
                if (SetNs((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                {
                    throw new InvalidOperationException($"setns into {Name} failed: errno {Marshal.GetLastPInvokeError()}");
                }

                result = action();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        if (!thread.Join(TimeSpan.FromSeconds(60)))
        {
            throw new TimeoutException($"Code inside netns {Name} did not finish within 60 s");
        }

        if (failure is not null)
        {
            throw new InvalidOperationException($"Inside netns {Name}: {failure.Message}", failure);
        }

        return result!;
    }

    public void Dispose()
    {
        if (File.Exists($"/var/run/netns/{Name}"))
        {
            RunIp("netns", "del", Name);
        }
    }

    private static string RunIp(params string[] arguments) => Run(Requires.Command("ip"), arguments);

    private static string Run(string executable, string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(executable, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        string error = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(30_000) || process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{executable} {string.Join(' ', arguments)} failed: {error}");
        }

        return output.Result;
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nsType);
}
