namespace ToaProxy.Protocol;

/// <summary>What <see cref="TcpOptionInserter.Insert"/> did: the packet's new length on success,
/// otherwise the reason (and, for <see cref="TcpOptionInsertStatus.NotRewritable"/>, why parsing failed).</summary>
public readonly record struct TcpOptionInsertResult(TcpOptionInsertStatus Status, int PacketLength, FrameParseStatus ParseStatus)
{
    public bool Succeeded => Status is TcpOptionInsertStatus.Inserted or TcpOptionInsertStatus.InsertedAfterPruning;
}
