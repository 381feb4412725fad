namespace ToaProxy.Protocol;

public enum ToaScanStatus
{
    /// <summary>The options area holds no enabled TOA kind.</summary>
    None,
    /// <summary>At least one option decoded; see <see cref="ToaScanResult.Count"/>.</summary>
    Found,
    /// <summary>An enabled kind had a length no configured layout has, or its bytes were invalid,
    /// or the option walk itself was malformed. Options decoded before the fault are still returned.</summary>
    Malformed,
}
