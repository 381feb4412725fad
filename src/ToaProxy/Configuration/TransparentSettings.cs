namespace ToaProxy.Configuration;

/// <summary>Validated <see cref="TransparentOptions"/>.</summary>
public sealed record TransparentSettings(bool ManageRules, int SocketMark, int ReplyMark, int Table, int RulePriority)
{
    public const int DefaultSocketMark = 0x7002;
    public const int DefaultReplyMark = 0x7001;
    public const int DefaultTable = 7001;
    public const int DefaultRulePriority = 7001;

    public static TransparentSettings Default { get; } = new(true, DefaultSocketMark, DefaultReplyMark, DefaultTable, DefaultRulePriority);
}
