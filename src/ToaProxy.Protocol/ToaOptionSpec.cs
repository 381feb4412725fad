using System.Globalization;

namespace ToaProxy.Protocol;

/// <summary>
/// One enabled TOA-family option: a (kind, length) pair and what its bytes mean. The constructor
/// rejects a length the layout cannot have, so a table never decodes past an option's end.
/// Text form: "kind/length" for a pair the notes list (layout implied, see <see cref="ToaOptionTable.All"/>)
/// or "kind/length:layout-name" for any pair, e.g. "254/8", "28/7:cdn-client".
/// </summary>
public readonly record struct ToaOptionSpec
{
    /// <exception cref="ArgumentException">Kind is EOL/NOP, or the length does not fit the layout.</exception>
    public ToaOptionSpec(byte kind, byte length, ToaLayout layout)
    {
        string? error = Validate(kind, length, layout);
        if (error is not null)
        {
            throw new ArgumentException(error);
        }

        Kind = kind;
        Length = length;
        Layout = layout;
    }

    public byte Kind { get; }

    /// <summary>The option's length byte (kind and length bytes included).</summary>
    public byte Length { get; }

    public ToaLayout Layout { get; }

    /// <exception cref="FormatException">The text is not "kind/length[:layout]", names an unknown layout,
    /// gives a length inconsistent with the layout, or omits the layout of a pair no vendor is known to use.</exception>
    public static ToaOptionSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] kindAndRest = text.Trim().Split('/', 2);
        string[] lengthAndLayout = kindAndRest.Length == 2 ? kindAndRest[1].Split(':', 2) : [];
        if (lengthAndLayout.Length == 0
            || !byte.TryParse(kindAndRest[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out byte kind)
            || !byte.TryParse(lengthAndLayout[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out byte length))
        {
            throw new FormatException(
                $"TOA option '{text}' is not 'kind/length' or 'kind/length:layout' with kind and length 0-255 (e.g. '254/8', '28/7:cdn-client').");
        }

        ToaLayout layout;
        if (lengthAndLayout.Length == 2)
        {
            if (!ToaLayoutName.TryParse(lengthAndLayout[1], out layout))
            {
                throw new FormatException(
                    $"TOA option '{text}': unknown layout '{lengthAndLayout[1].Trim()}'. Known layouts: {ToaLayoutName.KnownNames}.");
            }
        }
        else if (!ToaOptionTable.All.TryGetLayout(kind, length, out layout))
        {
            throw new FormatException(
                $"TOA option {kind}/{length} is not a known vendor option; write its layout as '{kind}/{length}:layout' (layouts: {ToaLayoutName.KnownNames}).");
        }

        string? error = Validate(kind, length, layout);
        return error is null ? new ToaOptionSpec(kind, length, layout) : throw new FormatException(error);
    }

    public override string ToString() => $"{Kind}/{Length}:{ToaLayoutName.Format(Layout)}";

    /// <summary>Null when valid, otherwise why not (shown to whoever wrote the configuration).</summary>
    internal static string? Validate(byte kind, byte length, ToaLayout layout)
    {
        if (kind is TcpOptionKind.EndOfOptionList or TcpOptionKind.NoOperation)
        {
            return $"TOA option kind {kind} is invalid: kinds 0 (end of list) and 1 (no-operation) have no length byte.";
        }

        (string expected, bool fits) = layout switch
        {
            ToaLayout.ClientV4 => ("8 (kind, length, port, IPv4)", length == 8),
            ToaLayout.ClientV6 => ("20 (kind, length, port, IPv6)", length == 20),
            ToaLayout.ClientV4WithVip => ("16 (kind, length, port, IPv4, padding, VIP port, VIP IPv4)", length == 16),
            ToaLayout.VipV4 => ("8 (kind, length, VIP port, VIP IPv4)", length == 8),
            ToaLayout.VpcId => ("6 (kind, length, VPC id)", length == 6),
            ToaLayout.ClientV4VpcVip => ("20 (kind, length, port, IPv4, VPC id, VIP IPv4, VIP port, padding)", length == 20),
            ToaLayout.ClientV6VpcVip => ("40 (kind, length, port, IPv6, VPC id, VIP IPv6)", length == 40),
            ToaLayout.CdnClient => ("7 or 19 (kind, length, version, IPv4 or IPv6)", length is 7 or 19),
            _ => ("a known layout", false),
        };
        if (fits)
        {
            return null;
        }

        string layoutText = Enum.IsDefined(layout) ? $"layout '{ToaLayoutName.Format(layout)}'" : $"layout {(int)layout}";
        return $"TOA option {kind}/{length}: {layoutText} needs length {expected}, not {length}.";
    }
}
