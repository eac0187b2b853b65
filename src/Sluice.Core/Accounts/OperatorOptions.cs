namespace Sluice.Accounts;

/// <summary>The operator API's credential (<c>Sluice__Operator__Secret</c>; a Key Vault reference in Azure).</summary>
public sealed class OperatorOptions
{
    public const string Section = "Sluice:Operator";

    /// <summary>The deployment secret operator requests send as <c>Authorization: Bearer …</c>. Empty disables the
    /// operator API (the local host's CLI commands still work: they run in-process).</summary>
    public string? Secret { get; set; }
}
