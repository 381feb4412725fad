using System.Net;

namespace ToaProxy.Configuration;

/// <summary>The part of <see cref="SettingsCompiler"/> for transparent listeners and the Transparent section.</summary>
internal static class TransparentSettingsCompiler
{
    public static TransparentSettings Compile(TransparentOptions o, string path, List<string> errors)
    {
        int socketMark = Positive(o.SocketMark, TransparentSettings.DefaultSocketMark, $"{path}:SocketMark", errors);
        int replyMark = Positive(o.ReplyMark, TransparentSettings.DefaultReplyMark, $"{path}:ReplyMark", errors);
        if (socketMark == replyMark)
        {
            // The proxy's own packets would then be routed to the local table instead of to the backend.
            errors.Add($"{path}:ReplyMark: \"{replyMark}\" equals SocketMark; they must differ");
        }

        int table = o.Table ?? TransparentSettings.DefaultTable;
        if (table is < 1 or > 0x7FFFFFFF or 253 or 254 or 255)
        {
            errors.Add($"{path}:Table: \"{table}\" is not a free routing table id (1 to 2147483647, not 253-255: default, main, local)");
        }

        int priority = o.RulePriority ?? TransparentSettings.DefaultRulePriority;
        if (priority is < 1 or > 32765)
        {
            errors.Add($"{path}:RulePriority: \"{priority}\" must be from 1 to 32765 (before the main table's rule at 32766)");
        }

        return new TransparentSettings(o.ManageRules ?? true, socketMark, replyMark, table, priority);
    }

    public static void CheckListener(ListenerOptions o, HostPort upstream, ProxyTlvSelection tlvs, string path, List<string> errors)
    {
        if (tlvs != ProxyTlvSelection.None)
        {
            errors.Add($"{path}:Tlvs: a transparent listener sends no PROXY header, so no TLVs; remove them");
        }

        if (upstream.Host is null)
        {
            return;
        }

        if (upstream.Address is not IPAddress address)
        {
            errors.Add($"{path}:Upstream: \"{o.Upstream}\" is a name; a transparent listener needs the backend's IP address (the client's family must match it)");
        }
        else if (IPAddress.IsLoopback(address))
        {
            // The kernel drops packets from a loopback source to a non-local client (martian), so the backend's replies could never leave.
            errors.Add($"{path}:Upstream: \"{o.Upstream}\" is a loopback address; a transparent backend must listen on a routable address (e.g. the host's own)");
        }
    }

    private static int Positive(int? value, int fallback, string path, List<string> errors)
    {
        int v = value ?? fallback;
        if (v <= 0)
        {
            errors.Add($"{path}: \"{v}\" must be a positive mark");
        }

        return v;
    }
}
