using ToaProxy.Admin;

namespace ToaProxy.Tests.Admin;

public sealed class TextTableTests
{
    [Fact]
    public void Columns_are_aligned_and_numbers_right_aligned()
    {
        string text = new TextTable("name", "count", "where")
            .Add("a", "1", "syn")
            .Add("longer-name", "12345", "data")
            .ToString();

        Assert.Equal(
            "name         count  where\n" +
            "a                1  syn\n" +
            "longer-name  12345  data\n",
            text);
    }

    [Fact]
    public void A_column_of_placeholders_stays_left_aligned_and_placeholders_sit_among_numbers()
    {
        string text = new TextTable("client", "kind")
            .Add("-", "254")
            .Add("-", "-")
            .ToString();

        Assert.Equal(
            "client  kind\n" +
            "-        254\n" +
            "-          -\n",
            text);
    }
}
