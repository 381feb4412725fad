namespace ToaProxy.Configuration;

/// <summary>One enabled TOA layout: a TCP option kind and length and what its bytes mean.</summary>
public sealed class ToaOptionEntry
{
    public int? Kind { get; set; }

    public int? Length { get; set; }

    /// <summary>client-v4, client-v6, client-v4-vip, vip-v4, vpc-id, client-v4-vpc-vip, client-v6-vpc-vip, cdn-client.</summary>
    public string? Layout { get; set; }
}
