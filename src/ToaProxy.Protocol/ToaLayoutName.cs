namespace ToaProxy.Protocol;

/// <summary>
/// The names a <see cref="ToaLayout"/> has in configuration text ("client-v4", "vip-v4", ...).
/// Kebab-case names rather than enum names so config files read like the notes' table.
/// </summary>
public static class ToaLayoutName
{
    private static readonly (ToaLayout Layout, string Name)[] Names =
    [
        (ToaLayout.ClientV4, "client-v4"),
        (ToaLayout.ClientV6, "client-v6"),
        (ToaLayout.ClientV4WithVip, "client-v4-vip"),
        (ToaLayout.VipV4, "vip-v4"),
        (ToaLayout.VpcId, "vpc-id"),
        (ToaLayout.ClientV4VpcVip, "client-v4-vpc-vip"),
        (ToaLayout.ClientV6VpcVip, "client-v6-vpc-vip"),
        (ToaLayout.CdnClient, "cdn-client"),
    ];

    /// <summary>Every known name, comma-separated, for error messages and help text.</summary>
    public static string KnownNames { get; } = string.Join(", ", Names.Select(entry => entry.Name));

    public static string Format(ToaLayout layout)
    {
        foreach ((ToaLayout known, string name) in Names)
        {
            if (known == layout)
            {
                return name;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(layout), layout, "Not a TOA layout.");
    }

    /// <summary>Case-insensitive; surrounding white space is ignored.</summary>
    public static bool TryParse(string? text, out ToaLayout layout)
    {
        string trimmed = text?.Trim() ?? string.Empty;
        foreach ((ToaLayout known, string name) in Names)
        {
            if (string.Equals(name, trimmed, StringComparison.OrdinalIgnoreCase))
            {
                layout = known;
                return true;
            }
        }

        layout = default;
        return false;
    }

    /// <exception cref="FormatException">The name is not a known layout; the message lists the known ones.</exception>
    public static ToaLayout Parse(string? text)
    {
        if (!TryParse(text, out ToaLayout layout))
        {
            throw new FormatException($"Unknown TOA layout '{text}'. Known layouts: {KnownNames}.");
        }

        return layout;
    }
}
