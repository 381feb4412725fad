using ToaProxy.Protocol;

namespace ToaProxy.Protocol.Tests;

public class ToaOptionTableTests
{
    private static readonly (byte Kind, byte Length, ToaLayout Layout)[] DefaultPairs =
    [
        (200, 8, ToaLayout.ClientV4),
        (254, 8, ToaLayout.ClientV4),
        (254, 20, ToaLayout.ClientV6),
        (253, 20, ToaLayout.ClientV6),
        (254, 16, ToaLayout.ClientV4WithVip),
        (202, 8, ToaLayout.VipV4),
        (201, 6, ToaLayout.VpcId),
        (250, 8, ToaLayout.VipV4),
        (252, 20, ToaLayout.ClientV4VpcVip),
        (249, 40, ToaLayout.ClientV6VpcVip),
    ];

    private static readonly (byte Kind, byte Length, ToaLayout Layout)[] OptInPairs =
    [
        (253, 8, ToaLayout.ClientV4),
        (28, 7, ToaLayout.CdnClient),
        (28, 19, ToaLayout.CdnClient),
    ];

    private static HashSet<(byte, byte, ToaLayout)> Enabled(ToaOptionTable table)
    {
        var enabled = new HashSet<(byte, byte, ToaLayout)>();
        for (int kind = 0; kind < 256; kind++)
        {
            for (int length = 0; length < 256; length++)
            {
                if (table.TryGetLayout((byte)kind, (byte)length, out ToaLayout layout))
                {
                    enabled.Add(((byte)kind, (byte)length, layout));
                }
            }
        }

        return enabled;
    }

    [Fact]
    public void Default_enables_exactly_the_client_and_non_colliding_vip_options()
    {
        Assert.Equal(DefaultPairs.ToHashSet(), Enabled(ToaOptionTable.Default));
        Assert.False(ToaOptionTable.Default.IsKindEnabled(28));
        Assert.True(ToaOptionTable.Default.IsKindEnabled(253));
        Assert.Equal(DefaultPairs.Length, ToaOptionTable.Default.Specs.Count);
    }

    [Fact]
    public void All_adds_the_opt_in_options()
    {
        Assert.Equal(DefaultPairs.Concat(OptInPairs).ToHashSet(), Enabled(ToaOptionTable.All));
        Assert.True(ToaOptionTable.All.IsKindEnabled(28));
    }

    [Fact]
    public void Create_builds_from_a_list_and_merges_identical_duplicates()
    {
        ToaOptionTable table = ToaOptionTable.Create(
        [
            new ToaOptionSpec(253, 8, ToaLayout.ClientV4),
            new ToaOptionSpec(30, 7, ToaLayout.CdnClient),
            new ToaOptionSpec(253, 8, ToaLayout.ClientV4),
        ]);

        Assert.Equal(2, table.Specs.Count);
        Assert.True(table.TryGetLayout(30, 7, out ToaLayout layout));
        Assert.Equal(ToaLayout.CdnClient, layout);
        Assert.False(table.TryGetLayout(30, 19, out _));
        Assert.False(table.IsKindEnabled(254));
    }

    [Fact]
    public void Create_rejects_one_pair_with_two_layouts()
    {
        var error = Assert.Throws<ArgumentException>(() => ToaOptionTable.Create(
            [new ToaOptionSpec(254, 8, ToaLayout.ClientV4), new ToaOptionSpec(254, 8, ToaLayout.VipV4)]));

        Assert.Contains("254/8", error.Message);
    }

    [Fact]
    public void Create_rejects_a_default_spec()
    {
        Assert.Throws<ArgumentException>(() => ToaOptionTable.Create([default]));
    }

    [Fact]
    public void Lengths_beyond_the_options_area_are_never_enabled()
    {
        Assert.False(ToaOptionTable.All.TryGetLayout(254, 41, out _));
        Assert.False(ToaOptionTable.All.TryGetLayout(254, 255, out _));
    }

    [Theory]
    [InlineData((byte)254, (byte)20, ToaLayout.ClientV4, "client-v4")]
    [InlineData((byte)28, (byte)8, ToaLayout.CdnClient, "7 or 19")]
    [InlineData((byte)201, (byte)8, ToaLayout.VpcId, "6")]
    [InlineData((byte)1, (byte)8, ToaLayout.ClientV4, "no-operation")]
    [InlineData((byte)0, (byte)8, ToaLayout.ClientV4, "end of list")]
    public void Spec_rejects_lengths_inconsistent_with_the_layout(byte kind, byte length, ToaLayout layout, string mentioned)
    {
        var error = Assert.Throws<ArgumentException>(() => new ToaOptionSpec(kind, length, layout));

        Assert.Contains(mentioned, error.Message);
    }

    [Theory]
    [InlineData("254/8", (byte)254, (byte)8, ToaLayout.ClientV4)]
    [InlineData(" 253/20 ", (byte)253, (byte)20, ToaLayout.ClientV6)]
    [InlineData("253/8", (byte)253, (byte)8, ToaLayout.ClientV4)]
    [InlineData("28/19", (byte)28, (byte)19, ToaLayout.CdnClient)]
    [InlineData("30/7:cdn-client", (byte)30, (byte)7, ToaLayout.CdnClient)]
    [InlineData("251/8:VIP-V4", (byte)251, (byte)8, ToaLayout.VipV4)]
    [InlineData("249/40:client-v6-vpc-vip", (byte)249, (byte)40, ToaLayout.ClientV6VpcVip)]
    public void Spec_parses_config_text(string text, byte kind, byte length, ToaLayout layout)
    {
        ToaOptionSpec spec = ToaOptionSpec.Parse(text);

        Assert.Equal(new ToaOptionSpec(kind, length, layout), spec);
        Assert.Equal(spec, ToaOptionSpec.Parse(spec.ToString()));
    }

    [Theory]
    [InlineData("254", "kind/length")]
    [InlineData("254/x", "kind/length")]
    [InlineData("300/8", "kind/length")]
    [InlineData("253/12", "write its layout")]
    [InlineData("254/8:client-v7", "Known layouts: client-v4, client-v6, client-v4-vip, vip-v4, vpc-id, client-v4-vpc-vip, client-v6-vpc-vip, cdn-client")]
    [InlineData("254/8:client-v6", "needs length 20")]
    [InlineData("1/8:client-v4", "no-operation")]
    public void Spec_parse_errors_say_what_is_wrong(string text, string mentioned)
    {
        var error = Assert.Throws<FormatException>(() => ToaOptionSpec.Parse(text));

        Assert.Contains(mentioned, error.Message);
    }

    [Theory]
    [InlineData("client-v4", ToaLayout.ClientV4)]
    [InlineData("client-v6", ToaLayout.ClientV6)]
    [InlineData("client-v4-vip", ToaLayout.ClientV4WithVip)]
    [InlineData("vip-v4", ToaLayout.VipV4)]
    [InlineData("vpc-id", ToaLayout.VpcId)]
    [InlineData("client-v4-vpc-vip", ToaLayout.ClientV4VpcVip)]
    [InlineData("client-v6-vpc-vip", ToaLayout.ClientV6VpcVip)]
    [InlineData("cdn-client", ToaLayout.CdnClient)]
    [InlineData(" Client-V4 ", ToaLayout.ClientV4)]
    public void Layout_names_parse(string name, ToaLayout layout)
    {
        Assert.Equal(layout, ToaLayoutName.Parse(name));
        Assert.True(ToaLayoutName.TryParse(name, out ToaLayout parsed));
        Assert.Equal(layout, parsed);
    }

    [Fact]
    public void Every_layout_has_a_name_that_parses_back()
    {
        foreach (ToaLayout layout in Enum.GetValues<ToaLayout>())
        {
            Assert.Equal(layout, ToaLayoutName.Parse(ToaLayoutName.Format(layout)));
        }
    }

    [Theory]
    [InlineData("clientv4")]
    [InlineData("")]
    [InlineData(null)]
    public void Unknown_layout_names_are_rejected_with_the_known_ones(string? name)
    {
        var error = Assert.Throws<FormatException>(() => ToaLayoutName.Parse(name));

        Assert.Contains("cdn-client", error.Message);
        Assert.False(ToaLayoutName.TryParse(name, out _));
    }
}
