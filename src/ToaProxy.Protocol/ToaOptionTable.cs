namespace ToaProxy.Protocol;

/// <summary>
/// Which (kind, length) pairs are read as TOA, and with which layout. Immutable; lookups are two
/// array reads so the per-packet scan stays cheap. A kind is "enabled" when any of its lengths is:
/// an enabled kind seen with another length is reported as malformed rather than guessed at.
/// </summary>
public sealed class ToaOptionTable
{
    // Options live in a TCP header's 40-byte options area, so no option is longer.
    private const int MaxOptionLength = 40;
    private const int LengthSlots = MaxOptionLength + 1;

    private static readonly ToaOptionSpec[] DefaultSpecs =
    [
        new(200, 8, ToaLayout.ClientV4),
        new(254, 8, ToaLayout.ClientV4),
        new(254, 20, ToaLayout.ClientV6),
        new(253, 20, ToaLayout.ClientV6),
        new(254, 16, ToaLayout.ClientV4WithVip),
        new(202, 8, ToaLayout.VipV4),
        new(201, 6, ToaLayout.VpcId),
        new(250, 8, ToaLayout.VipV4),
        new(252, 20, ToaLayout.ClientV4VpcVip),
        new(249, 40, ToaLayout.ClientV6VpcVip),
    ];

    // Opt-in: 253/8 is a rare variant, and 28 is also the User Timeout Option (RFC 5482).
    private static readonly ToaOptionSpec[] OptInSpecs =
    [
        new(253, 8, ToaLayout.ClientV4),
        new(28, 7, ToaLayout.CdnClient),
        new(28, 19, ToaLayout.CdnClient),
    ];

    private readonly bool[] _kindEnabled = new bool[256];

    // Indexed kind * LengthSlots + length; 0 = not enabled, otherwise layout + 1.
    private readonly byte[] _layoutByKindAndLength = new byte[256 * LengthSlots];

    private ToaOptionTable(ToaOptionSpec[] specs)
    {
        Specs = Array.AsReadOnly(specs);
        foreach (ToaOptionSpec spec in specs)
        {
            _kindEnabled[spec.Kind] = true;
            _layoutByKindAndLength[(spec.Kind * LengthSlots) + spec.Length] = (byte)(spec.Layout + 1);
        }
    }

    /// <summary>The client options (200/8, 254/8, 254/20, 253/20) and the VIP/VPC options whose
    /// kinds collide with nothing else (254/16, 202/8, 201/6, 250/8, 252/20, 249/40).</summary>
    public static ToaOptionTable Default { get; } = new(DefaultSpecs);

    /// <summary><see cref="Default"/> plus the opt-in 253/8, 28/7 and 28/19.</summary>
    public static ToaOptionTable All { get; } = new([.. DefaultSpecs, .. OptInSpecs]);

    public IReadOnlyList<ToaOptionSpec> Specs { get; }

    /// <exception cref="ArgumentException">A spec is invalid (e.g. default), or one (kind, length) is given two layouts.</exception>
    public static ToaOptionTable Create(IEnumerable<ToaOptionSpec> specs)
    {
        ArgumentNullException.ThrowIfNull(specs);
        var distinct = new List<ToaOptionSpec>();
        foreach (ToaOptionSpec spec in specs)
        {
            string? error = ToaOptionSpec.Validate(spec.Kind, spec.Length, spec.Layout);
            if (error is not null)
            {
                throw new ArgumentException(error, nameof(specs));
            }

            int clash = distinct.FindIndex(known => known.Kind == spec.Kind && known.Length == spec.Length);
            if (clash < 0)
            {
                distinct.Add(spec);
            }
            else if (distinct[clash].Layout != spec.Layout)
            {
                throw new ArgumentException(
                    $"TOA option {spec.Kind}/{spec.Length} is configured twice with different layouts ({distinct[clash]} and {spec}).",
                    nameof(specs));
            }
        }

        return new ToaOptionTable([.. distinct]);
    }

    public bool IsKindEnabled(byte kind) => _kindEnabled[kind];

    public bool TryGetLayout(byte kind, byte length, out ToaLayout layout)
    {
        int slot = length < LengthSlots ? _layoutByKindAndLength[(kind * LengthSlots) + length] : 0;
        layout = (ToaLayout)(slot - 1);
        return slot != 0;
    }
}
