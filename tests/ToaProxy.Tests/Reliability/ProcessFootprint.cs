using System.Globalization;

namespace ToaProxy.Tests.Reliability;

/// <summary>What a running process holds, from /proc: resident memory, open file descriptors, OS threads.</summary>
internal readonly record struct ProcessFootprint(long RssBytes, int FileDescriptors, int Threads)
{
    public static ProcessFootprint Read(int pid)
    {
        string[] status = File.ReadAllLines($"/proc/{pid}/status");
        return new ProcessFootprint(
            Field(status, "VmRSS:") * 1024,
            Directory.GetFiles($"/proc/{pid}/fd").Length,
            (int)Field(status, "Threads:"));
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"RSS {RssBytes / (1024.0 * 1024):F1} MiB, {FileDescriptors} fds, {Threads} threads");

    private static long Field(string[] status, string name) =>
        long.Parse(status.First(l => l.StartsWith(name, StringComparison.Ordinal))[name.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
}
