using Microsoft.Extensions.Options;

namespace ToaProxy.Configuration;

/// <summary>Validates at start (ValidateOnStart): every wrong value is reported with its key.</summary>
public sealed class ToaProxyOptionsValidator : IValidateOptions<ToaProxyOptions>
{
    public ValidateOptionsResult Validate(string? name, ToaProxyOptions options)
    {
        var errors = new List<string>();
        SettingsCompiler.Compile(options, errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
