using System.IO.Pipelines;
using ToaProxy.Relay;

namespace ToaProxy.HttpMode;

/// <summary>
/// A Kestrel connection's transport with the listener's byte counters kept live, as the TCP relay
/// keeps them: Kestrel's socket transport counts nothing an operator can read.
/// </summary>
internal sealed class CountingDuplexPipe : IDuplexPipe
{
    public CountingDuplexPipe(IDuplexPipe transport, ListenerCounters counters)
    {
        Input = new CountingPipeReader(transport.Input, n => Interlocked.Add(ref counters.BytesFromClient, n));
        Output = new CountingPipeWriter(transport.Output, n => Interlocked.Add(ref counters.BytesFromUpstream, n));
    }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }
}
