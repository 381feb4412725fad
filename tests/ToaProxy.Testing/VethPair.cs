using System.Diagnostics;

namespace ToaProxy.Testing;

/// <summary>
/// A veth pair with unique names (this kernel has no dummy driver), <see cref="Name"/> set up; deleting
/// one end deletes both. Deleted on dispose.
/// </summary>
public sealed class VethPair : IDisposable
{
    private readonly string _ipCommand;

    private VethPair(string ipCommand, string name)
    {
        _ipCommand = ipCommand;
        Name = name;
    }

    public string Name { get; }

    private bool Exists => Directory.Exists($"/sys/class/net/{Name}");

    public static VethPair Create(string ipCommand)
    {
        // IFNAMSIZ allows 15 characters.
        string name = $"toatst{Random.Shared.Next(0x1000000):x6}";
        var created = new VethPair(ipCommand, name);
        try
        {
            created.Add();
            return created;
        }
        catch
        {
            created.Dispose();
            throw;
        }
    }

    public void Delete() => Run("link", "del", Name);

    /// <summary>Creates the pair again under the same names after <see cref="Delete"/>.</summary>
    public void Add()
    {
        Run("link", "add", Name, "type", "veth", "peer", "name", Name + "p");
        Run("link", "set", Name, "up");
    }

    public void Dispose()
    {
        if (Exists)
        {
            Delete();
        }
    }

    private void Run(params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(_ipCommand, arguments) { RedirectStandardError = true })!;
        string error = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(10_000) || process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', arguments)} failed: {error}");
        }
    }
}
