// Parameter types shared by main.bicep and the modules.

@export()
@description('Days after creation at which a payload blob of this lifecycle tier is deleted by the storage service.')
@minValue(1)
@maxValue(365)
type tierDays = int

@export()
@description('One model route, bound to Sluice__Routing__Routes__<n>__<Property> (see RoutingOptions). Prices are strings ("0.15") because ARM has no decimal type; API keys are never here, only the name of the app setting that holds one.')
type route = {
  @description('The public model name clients send.')
  Model: string

  @description('openai, openai-compatible, azure-openai, anthropic or mock.')
  Provider: string

  Id: string?
  UpstreamModel: string?
  BaseUrl: string?

  @description('Name of the app setting holding the upstream key; map it to a Key Vault secret with providerKeySecretNames.')
  ApiKeySetting: string?

  ApiVersion: string?
  Auth: ('api-key' | 'entra')?
  InputPricePerMillion: string?
  OutputPricePerMillion: string?

  @description('Where the upstream processes data: a data-region label, global, or stamp.')
  Region: string?

  Retention: ('none' | 'abuse-monitoring' | 'unknown')?
  RetentionDays: int?
  Training: ('no' | 'yes' | 'unknown')?
}

@export()
@description('One identity provider for dashboard sign-in, bound to Sluice__SignIn__Providers__<Name>__<Property> (see SignInOptions and docs/sso.md). The client secret is never here: only the name of a secret in the stamp\'s Key Vault.')
type signInProvider = {
  @description('Lowercase letters, digits and dashes; part of the redirect URI <SLUICE_URL>/dashboard/signin/<Name>/callback.')
  Name: string

  @description('What the sign-in button says, e.g. Microsoft Entra ID.')
  DisplayName: string

  @description('The issuer URL, e.g. https://login.microsoftonline.com/<tenant-id>/v2.0.')
  Authority: string

  ClientId: string

  @description('Name of the Key Vault secret holding the client secret.')
  ClientSecretName: string

  AllowedTenants: string[]?
  AllowedEmailDomains: string[]?
  RequireVerifiedEmail: bool?
}
