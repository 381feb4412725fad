namespace ToaProxy.Protocol;

/// <summary>Outcome of <see cref="TcpOptionInserter.Insert"/>.</summary>
public enum TcpOptionInsertStatus
{
    /// <summary>The option was added in front of the existing options.</summary>
    Inserted,
    /// <summary>Added after dropping NOP, SACK-permitted and, if still needed, timestamp options (as DPVS does).</summary>
    InsertedAfterPruning,
    /// <summary>The packet is not a TCP packet this code can rewrite; see <see cref="TcpOptionInsertResult.ParseStatus"/>.</summary>
    NotRewritable,
    /// <summary>The option is empty or longer than the 40-byte TCP option space.</summary>
    InvalidOption,
    /// <summary>Even after pruning, the option does not fit the 40-byte option space.</summary>
    NoRoom,
    /// <summary>Pruning was needed but the existing options are malformed, so they cannot be walked.</summary>
    MalformedOptions,
    /// <summary>The grown packet exceeds the caller's buffer or the 65535-byte IP length limit.</summary>
    BufferTooSmall,
}
