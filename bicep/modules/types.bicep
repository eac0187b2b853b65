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
