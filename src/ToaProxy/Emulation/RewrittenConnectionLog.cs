using System.Net;
using System.Threading.Channels;
using ToaProxy.Protocol;

namespace ToaProxy.Emulation;

/// <summary>
/// One line per connection the emulator rewrote (or only their count, for load tests). Reported from
/// the NFQUEUE thread, so reporting only queues the line: a slow terminal must never hold a packet's
/// verdict back.
/// </summary>
internal sealed class RewrittenConnectionLog
{
    // Remembers recent connections so SYN, ACK and data of one connection print once; bounded memory.
    private const int RememberedConnections = 4096;

    private readonly HashSet<FlowKey> _reported = [];
    private readonly Lock _gate = new();
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly byte _kind;
    private readonly byte _length;
    private readonly bool _printEach;
    private long _connections;

    public RewrittenConnectionLog(byte kind, byte length, bool printEach = true)
    {
        _kind = kind;
        _length = length;
        _printEach = printEach;
    }

    public long Connections => Interlocked.Read(ref _connections);

    public void Report(FlowKey flow, IPAddress client, int port)
    {
        lock (_gate)
        {
            if (_reported.Count >= RememberedConnections)
            {
                _reported.Clear();
            }

            if (!_reported.Add(flow))
            {
                return;
            }
        }

        Interlocked.Increment(ref _connections);
        if (!_printEach)
        {
            return;
        }

        string clientText = client.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{client}]:{port}" : $"{client}:{port}";
        _lines.Writer.TryWrite($"emulate: {flow.ToString().Replace("->", " -> ", StringComparison.Ordinal)}  TOA {_kind}/{_length} client {clientText}");
    }

    /// <summary>Writes queued lines until <see cref="Complete"/> is called and the queue is empty.</summary>
    public async Task PrintAsync(TextWriter output)
    {
        await foreach (string line in _lines.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            await output.WriteLineAsync(line).ConfigureAwait(false);
            await output.FlushAsync().ConfigureAwait(false);
        }
    }

    public void Complete() => _lines.Writer.TryComplete();
}
