using System.Buffers;
using System.IO.Pipelines;

namespace ToaProxy.HttpMode;

/// <summary>
/// Passes a connection's input through and adds what the reader consumes to a counter: the bytes
/// that came from the client (TLS records included, as the middleware sits below TLS).
/// </summary>
internal sealed class CountingPipeReader(PipeReader inner, Action<long> consumed) : PipeReader
{
    private ReadOnlySequence<byte> _lastBuffer;

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        ReadResult result = await inner.ReadAsync(cancellationToken).ConfigureAwait(false);
        _lastBuffer = result.Buffer;
        return result;
    }

    public override bool TryRead(out ReadResult result)
    {
        if (!inner.TryRead(out result))
        {
            return false;
        }

        _lastBuffer = result.Buffer;
        return true;
    }

    public override void AdvanceTo(SequencePosition consumedTo) => AdvanceTo(consumedTo, consumedTo);

    public override void AdvanceTo(SequencePosition consumedTo, SequencePosition examined)
    {
        long length = _lastBuffer.Slice(_lastBuffer.Start, consumedTo).Length;
        _lastBuffer = default;
        inner.AdvanceTo(consumedTo, examined);
        if (length > 0)
        {
            consumed(length);
        }
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
}
