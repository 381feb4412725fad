using Microsoft.Extensions.Hosting;

namespace ToaProxy.HttpMode;

/// <summary>
/// The lifetime of a listener's inner web host: started and stopped by its listener, never by
/// signals itself (the proxy's own host handles SIGTERM once, for every listener).
/// </summary>
internal sealed class ParentHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
