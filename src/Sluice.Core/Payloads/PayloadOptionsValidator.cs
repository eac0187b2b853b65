using Microsoft.Extensions.Options;
using Sluice.Accounts;

namespace Sluice.Payloads;

/// <summary>Start-up check of the master key: valid when set, required when new accounts store content by default
/// (see <see cref="PayloadOptions"/> for why a missing key is otherwise allowed).</summary>
internal sealed class PayloadOptionsValidator(IOptions<RetentionOptions> retention) : IValidateOptions<PayloadOptions>
{
    public ValidateOptionsResult Validate(string? name, PayloadOptions options)
    {
        if (options.DataKeyCacheTtl < TimeSpan.Zero || options.DataKeyCacheTtl > TimeSpan.FromHours(1))
        {
            return ValidateOptionsResult.Fail($"{PayloadOptions.Section}:DataKeyCacheTtl must be between 00:00:00 and 01:00:00.");
        }
        if (!string.IsNullOrWhiteSpace(options.MasterKey))
        {
            var (_, _, error) = MasterKey.Parse(options.MasterKey);
            return error is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(error);
        }
        if (ContentModeNames.ParseOrMetadataOnly(retention.Value.DefaultContentMode) == ContentMode.RetainAll)
        {
            return ValidateOptionsResult.Fail(
                $"{PayloadOptions.Section}:MasterKey is required when Sluice:Retention:DefaultContentMode is retain_all.");
        }
        return ValidateOptionsResult.Success;
    }
}
