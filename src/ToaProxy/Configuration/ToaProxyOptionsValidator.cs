using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ToaProxy.Configuration;

/// <summary>Validates at start (ValidateOnStart): every unknown key and wrong value is reported with its key.</summary>
public sealed class ToaProxyOptionsValidator(IConfiguration configuration) : IValidateOptions<ToaProxyOptions>
{
    public ValidateOptionsResult Validate(string? name, ToaProxyOptions options)
    {
        var errors = new List<string>();
        UnknownConfigurationKeys.Report(configuration, errors);
        SettingsCompiler.Compile(options, errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
