namespace ToaProxy.Hosting;

/// <summary>
/// Runs socket completions on the runtime's epoll threads (one per core) instead of handing each one
/// to the thread pool. The relay's continuations only copy bytes and start the next non-blocking
/// operation, so the hop costs more than the work: inline, bench/run.sh measured more requests/s,
/// about half the CPU per request and half the idle memory per connection (docs/benchmarks.md).
/// The runtime reads the variable once, when the first socket is created, so this must run first.
/// An operator's own setting (e.g. DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0) wins.
/// </summary>
internal static class SocketCompletionMode
{
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public static void PreferInline()
    {
        if (Environment.GetEnvironmentVariable(Variable) is null)
        {
            Environment.SetEnvironmentVariable(Variable, "1");
        }
    }
}
